/**
 * What the command policy sees of a bash command, read from mvdan/sh's typed AST by shellWalk.ts:
 * every simple command wherever it sits (lists, pipelines, subshells, groups, function bodies,
 * if/while/for/case bodies, command and process substitutions), every redirection, in source order,
 * and the constructs that hide what runs (hazards), each of which needs approval every time.
 */

export interface ShellWord {
  /** The source text of the word. */
  readonly raw: string;
  /** The word after quote removal, or null when part of it is computed by the shell (expansion, substitution, `$'…'`). */
  readonly value: string | null;
  /** Unquoted glob (`* ? [`, extended globs) or brace expansion (`{a,b}`): the word may become several. */
  readonly expands: boolean;
  /** Starts with an unquoted `~` (the shell puts a home folder there). */
  readonly tilde: boolean;
}

export interface ShellAssignment {
  /** The variable name (`PATH` in `PATH=/x cmd`). */
  readonly name: string;
  /** The source text (`PATH=/x`). */
  readonly raw: string;
}

export interface ShellRedirect {
  /** The operator as written: `>`, `>>`, `>|`, `<>`, `&>`, `&>>`, `>&`, `<`, `<&`, `<<`, `<<-`, `<<<`. */
  readonly op: string;
  /** The file descriptor written before the operator (`2` in `2>x`), or null. */
  readonly fd: string | null;
  readonly target: ShellWord;
  /** Here-documents and here-strings: the text fed to stdin (raw source when the shell computes part of it). */
  readonly text?: string;
  readonly computed?: 'none' | 'expansion' | 'substitution';
}

/**
 * Where a command's standard input comes from, as written (the innermost of its own redirections,
 * the pipeline it sits in, or an enclosing statement's redirection). `inherited`: nothing in the
 * script feeds it, so it reads what the script itself was given (the bash tool closes stdin).
 */
export type StdinSource =
  | { readonly kind: 'inherited' }
  /** The right-hand side of `|` or `|&`. */
  | { readonly kind: 'pipe' }
  /** `< file`, `<> file`. */
  | { readonly kind: 'file'; readonly target: ShellWord }
  /** A here-document or here-string: its text (raw when computed) and what the shell computes in it. */
  | { readonly kind: 'text'; readonly text: string; readonly computed: 'none' | 'expansion' | 'substitution' }
  /** `<&N`: another descriptor. */
  | { readonly kind: 'descriptor' };

/** A function declaration: its name and the byte offset where it starts (its identity). */
export interface ShellFunction {
  readonly name: string;
  readonly at: number;
}

export interface SimpleCommand {
  /** Assignments before the program (`A=1 cmd`), or the ones a declaration builtin (`export A=1`) makes. */
  readonly assignments: readonly ShellAssignment[];
  /** Program and arguments; `[]` for a bare assignment. Declaration builtins become `[export, …]`, `[[ … ]]` becomes `[[[]`. */
  readonly words: readonly ShellWord[];
  /** `export`/`declare`/`local`/`readonly`/`typeset`: its assignments stay for later commands. */
  readonly declaration: boolean;
  /** The source text of the statement (for approval cards). */
  readonly text: string;
  /** Inside a loop or a function body: it may run many times, and after commands that follow it in the text. */
  readonly repeated: boolean;
  readonly stdin: StdinSource;
  /** The functions whose bodies hold it, outermost first (`at`: where each declaration starts). */
  readonly functions: readonly ShellFunction[];
  /** Byte offset where the command starts. */
  readonly at: number;
  /** Within its innermost function body it runs in another process (a pipeline, `&`, a subshell, a substitution). */
  readonly forks: boolean;
}

export type ShellStep =
  | { readonly kind: 'command'; readonly command: SimpleCommand }
  | { readonly kind: 'redirect'; readonly redirect: ShellRedirect; readonly repeated: boolean };

export type ShellHazardKind = 'command_substitution' | 'process_substitution' | 'arithmetic' | 'indirect_expansion' | 'unknown_syntax';

export interface ShellHazard {
  readonly kind: ShellHazardKind;
  /** Says what was found and why it hides what runs; shown as the approval reason. */
  readonly reason: string;
}

export interface ShellScript {
  /** Commands and redirections in source order (a statement's command comes before its redirections). */
  readonly steps: readonly ShellStep[];
  readonly commands: readonly SimpleCommand[];
  /** One per kind and detail; empty when nothing is hidden. */
  readonly hazards: readonly ShellHazard[];
  /** The functions the script declares, in source order. */
  readonly functions: readonly ShellFunction[];
}
