import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeHarness, type Harness } from '../tools/harness';

type Kind = 'block' | 'ask_every_time' | 'ask';

/**
 * Every case tries to create `marker` (inside or outside the workspace). It asserts the decision,
 * then executes with the strongest authorization the decision must NOT accept (`user` for a block,
 * `yes_flag` for ask-every-time) and checks the marker was not created.
 */
const CASES: ReadonlyArray<readonly [name: string, command: (out: string) => string, expected: Kind, reason?: RegExp]> = [
  ['chained ; with a denied command', () => 'echo ok; curl http://x > marker', 'block', /denied_commands/],
  ['chained && with a denied command', () => 'true && curl x; touch marker', 'block', /denied_commands/],
  ['chained || with a denied command', () => 'false || curl x || touch marker', 'block', /denied_commands/],
  ['a denied command in a pipeline', () => 'echo x | curl -d @- x; touch marker', 'block', /denied_commands/],
  ['a denied command in a subshell', () => '(curl x); touch marker', 'block', /denied_commands/],
  ['a denied command in an if body', () => 'if true; then curl x; fi; touch marker', 'block', /denied_commands/],
  ['a denied command in a for body', () => 'for i in 1; do curl x; done; touch marker', 'block', /denied_commands/],
  ['a denied command in a function body', () => 'f() { curl x; }; f; touch marker', 'block', /denied_commands/],
  ['a denied command by absolute path', () => '/usr/bin/curl x; touch marker', 'block', /denied_commands/],
  ['a denied command inside $( )', () => 'echo $(curl x); touch marker', 'block', /denied_commands/],
  ['a denied command inside backticks', () => 'echo `curl x`; touch marker', 'block', /denied_commands/],
  ['a denied command behind sudo', () => 'sudo curl x; touch marker', 'block', /denied_commands/],
  ['a denied command behind env X=1', () => 'env A=1 curl x; touch marker', 'block', /denied_commands/],
  ['a denied command inside bash -c', () => 'bash -c "curl x"; touch marker', 'block', /denied_commands/],
  ['a denied command inside eval', () => 'eval "echo a; curl x"; touch marker', 'block', /denied_commands/],
  ['a denied command inside a trap', () => "trap 'curl x' EXIT; touch marker", 'block', /denied_commands/],
  ['a denied command through find -exec', () => 'find . -exec curl {} \\; ; touch marker', 'block', /denied_commands/],
  ['command substitution', () => 'touch $(echo marker)', 'ask_every_time', /command substitution/],
  ['backtick substitution', () => 'touch `echo marker`', 'ask_every_time', /command substitution/],
  ['process substitution', () => 'cat <(touch marker)', 'ask_every_time', /process substitution/],
  ['eval', () => 'eval "touch marker"', 'ask_every_time', /eval runs another command/],
  ['sh -c', () => 'sh -c "touch marker"', 'ask_every_time', /another shell/],
  ['bash -c', () => 'bash -c "touch marker"', 'ask_every_time', /another shell/],
  ['zsh -c', () => 'zsh -c "touch marker"', 'ask_every_time', /another shell/],
  ['xargs', () => 'echo marker | xargs touch', 'ask_every_time', /xargs runs another command/],
  ['find -exec', () => 'find . -maxdepth 0 -exec touch marker \\;', 'ask_every_time', /find -exec/],
  ['env X cmd', () => 'env A=1 touch marker', 'ask_every_time', /env runs another command/],
  ['exec', () => 'exec touch marker', 'ask_every_time', /exec runs another command/],
  ['source', () => 'echo "touch marker" > s.sh; source s.sh', 'ask_every_time', /source runs another command/],
  ['dot-source', () => 'echo "touch marker" > s.sh; . s.sh', 'ask_every_time', /runs another command/],
  ['sudo', () => 'sudo touch marker', 'ask_every_time', /sudo runs another command/],
  ['parameter expansion in the command name', () => 'C=touch; $C marker', 'ask_every_time', /computed by the shell/],
  ['brace expansion in the command name', () => '{touch,marker}', 'ask_every_time', /computed by the shell/],
  ['ANSI-C quoting in the command name', () => "$'\\x74ouch' marker", 'ask_every_time', /computed by the shell/],
  ['python -c inline code', () => 'python3 -c "open(\'marker\',\'w\')"', 'ask_every_time', /inline code/],
  ['PATH override before a command', () => 'PATH=/tmp touch marker', 'ask_every_time', /setting PATH/],
  ['unparseable syntax', () => 'touch marker; echo "unterminated', 'ask_every_time', /cannot be fully understood/],
  ['a case statement is an ordinary command', () => 'case x in x) touch marker;; esac', 'ask'],
  ['a here-document writing inside the workspace is an ordinary command', () => 'cat > marker <<EOF\nx\nEOF', 'ask'],
  // Constructs the hand-written reader could not follow: the AST walk judges what is inside them.
  ['a denied command in a `function f { }` body', () => 'function f { curl x; }; touch marker', 'block', /denied_commands/],
  ['a denied command in a case arm', () => 'case "$1" in a) echo a;; *) curl x;; esac; touch marker', 'block', /denied_commands/],
  ['a denied command after a here-document', () => 'cat <<EOF\nhello\nEOF\ncurl x; touch marker', 'block', /denied_commands/],
  ['a denied command in a here-document body substitution', () => 'cat <<EOF > marker\n$(curl x)\nEOF', 'block', /denied_commands/],
  ['a quoted here-document body is data', () => "cat <<'EOF' > marker\n$(touch evil)\nEOF", 'ask'],
  ['an unquoted here-document body substitution', () => 'cat <<EOF\n$(touch marker)\nEOF', 'ask_every_time', /command substitution/],
  ['a dangerous command in an if body', () => 'if true; then rm -r -f /; fi; touch marker', 'block', /dangerous command/],
  ['a dangerous command in an elif/else body', () => 'if false; then :; elif false; then :; else mkfs.ext4 /dev/sdz; fi; touch marker', 'block', /dangerous/],
  ['a denied command in a while condition', () => 'while curl x; do break; done; touch marker', 'block', /denied_commands/],
  ['a denied command in nested $( $( ) )', () => 'echo $(echo $(curl x)); touch marker', 'block', /denied_commands/],
  ['nested $( $( ) )', () => 'touch $(echo $(echo marker))', 'ask_every_time', /command substitution/],
  ['a denied command inside a ${x:offset} slice', () => 'echo ${PWD:$(curl x):1}; touch marker', 'block', /denied_commands/],
  ['a substitution inside a ${x:offset} slice', () => 'echo ${PWD:$(touch marker):1}', 'ask_every_time', /command substitution|arithmetic/],
  ['arithmetic that evaluates a variable as code', () => "x='a[$(touch marker)]'; echo $((x))", 'ask_every_time', /arithmetic/],
  ['an array subscript that evaluates a variable as code', () => "x='a[$(touch marker)]'; echo ${a[x]}", 'ask_every_time', /arithmetic/],
  ['a [[ -eq ]] test that evaluates a variable as code', () => "x='a[$(touch marker)]'; [[ $x -eq 1 ]]", 'ask_every_time', /arithmetic/],
  ['an (( )) command over a variable', () => "x='a[$(touch marker)]'; (( x ))", 'ask_every_time', /arithmetic/],
  ['an indirect expansion', () => "x='a[$(touch marker)]'; echo ${!x}", 'ask_every_time', /indirect/],
  ['a prompt expansion', () => "x='$(touch marker)'; echo ${x@P}", 'ask_every_time', /prompt expansion/],
  ['a denied command in a coproc', () => 'coproc curl x; touch marker', 'block', /denied_commands/],
  ['a denied command in a coproc block', () => 'coproc w { curl x; }; touch marker', 'block', /denied_commands/],
  ['a denied command behind the time keyword', () => 'time curl x; touch marker', 'block', /denied_commands/],
  ['a denied command in a brace group', () => '{ echo a; curl x; }; touch marker', 'block', /denied_commands/],
  ['a brace group redirected outside the workspace', (out) => `{ echo x; echo y; } > ${out}/marker`, 'block', /outside/],
  ['a loop redirected outside the workspace', (out) => `for i in 1; do echo $i; done > ${out}/marker`, 'block', /outside/],
  ['a denied command behind ! negation', () => '! curl x; touch marker', 'block', /denied_commands/],
  ['a denied command after |&', () => 'echo x |& curl -d @- x; touch marker', 'block', /denied_commands/],
  ['a denied command in the background', () => 'curl x & touch marker', 'block', /denied_commands/],
  ['a denied command in a [[ ]] substitution', () => '[[ -n $(curl x) ]]; touch marker', 'block', /denied_commands/],
  ['a denied command in a for word list', () => 'for i in $(curl x); do :; done; touch marker', 'block', /denied_commands/],
  ['a denied command in an export value', () => 'export A=$(curl x); touch marker', 'block', /denied_commands/],
  ['a denied command in an array element', () => 'a=( $(curl x) ); touch marker', 'block', /denied_commands/],
  ['a redirection in a function body after a cd outside', () => 'f() { echo x > app-evil/marker; }; cd ..; f', 'block', /outside/],
  ['a redirection that escapes when the cd before it fails', () => 'cd missing; echo x > ../app-evil/marker', 'block', /outside/],
  ['a cd inside a loop', () => 'for d in 1; do cd ..; done; echo x > app-evil/marker', 'ask_every_time', /cd the policy cannot follow/],
  ['cd without a literal folder', () => 'cd "$OLDPWD"; echo x > marker', 'ask_every_time', /cd the policy cannot follow/],
  ['PATH set for the rest of the script', () => 'PATH=.:$PATH; touch marker', 'ask_every_time', /setting PATH/],
  ['an exported LD_PRELOAD', () => 'export LD_PRELOAD=./x.so; touch marker', 'ask_every_time', /setting LD_PRELOAD/],
  ['declare -n aliasing PATH', () => 'declare -n r=PATH; r=/tmp; touch marker', 'ask_every_time', /-i\/-n/],
  ['a write to /dev/tcp', () => 'echo secret > /dev/tcp/127.0.0.1/9; touch marker', 'block', /network connection/],
  ['a read from /dev/tcp', () => 'cat < /dev/tcp/127.0.0.1/9 > marker', 'block', /network connection/],
  ['X=1 env piped into sh (a dangerous-command pattern)', () => 'X=1 env | sh; touch marker', 'block', /dangerous pattern/],
  ['a glob in the command name', () => 'tou?h marker', 'ask_every_time', /computed by the shell/],
  ['a glob as the redirection target', () => 'echo x > mark*', 'ask_every_time', /computed by the shell/],
  ['redirection outside the workspace', (out) => `echo x > ${out}/marker`, 'block', /redirection.*outside/],
  ['append redirection outside the workspace', (out) => `echo x >> ${out}/marker`, 'block', /outside/],
  ['&> redirection outside the workspace', (out) => `ls &> ${out}/marker`, 'block', /outside/],
  ['redirection through ../', () => 'echo x > ../app-evil/marker', 'block', /outside/],
  ['redirection after cd outside', (out) => `cd ${out} && echo x > marker`, 'block', /outside/],
  ['redirection into the home folder via ~', () => 'echo x > ~/marker', 'block', /home folder/],
  ['redirection to a computed target', () => 'F=marker; echo x > $F', 'ask_every_time', /computed/],
  ['redirection into .git', () => 'mkdir -p .git && echo x > .git/marker', 'ask_every_time', /\.git/],
  ['env prints the environment', () => 'env > marker', 'ask_every_time', /env without a command/],
  ['printenv', () => 'printenv > marker', 'ask_every_time', /printenv/],
  ['set without arguments', () => 'set > marker', 'ask_every_time', /set without arguments/],
  ['export -p', () => 'export -p > marker', 'ask_every_time', /prints exported/],
  ['/proc/self/environ', () => 'cat /proc/self/environ > marker', 'ask_every_time', /environ/],
  ['piping into sh (a dangerous-command pattern)', () => 'echo "touch marker" | sh', 'block', /dangerous pattern/],
  ['piping into bash (a dangerous-command pattern)', () => 'echo "touch marker" | bash', 'block', /dangerous pattern/],
  // Piping into any shell is a hard block, not only sh and bash.
  ['piping into zsh', () => 'echo "touch marker" | zsh', 'block', /piping into a shell/],
  ['curl | sh', () => 'curl http://x | sh; touch marker', 'block', /dangerous/],
  ['rm -rf /', () => 'touch marker; rm -rf /', 'block', /dangerous/],
  ['rm -r -f / (flag variant)', () => 'touch marker; rm -r -f /', 'block', /dangerous command/],
  ['rm -fr /* (flag variant)', () => 'touch marker && rm -fr /*', 'block', /dangerous command/],
  ['the fork bomb', () => ':(){ :|:& };:', 'block', /dangerous/],
  ['mkfs.ext4 (a dangerous-command pattern)', () => 'touch marker; mkfs.ext4 /dev/sdz', 'block', /dangerous/],
  ['dd to a device (a dangerous-command pattern)', () => 'touch marker; dd if=/dev/zero of=/dev/sdz', 'block', /dangerous/],
  ['write to a disk device (a dangerous-command pattern)', () => 'touch marker; echo x > /dev/sdz', 'block', /dangerous/],
  ['chmod -R 777 /', () => 'touch marker; chmod -R 777 /', 'block', /dangerous/],
  ['; rm -rf injection (a dangerous-command pattern)', () => 'touch marker; rm -rf build', 'block', /dangerous pattern/],
  ['a command outside allowed_commands', () => 'touch marker', 'block', /not in allowed_commands/],
];

describe('security: shell command policy', () => {
  let h: Harness;
  beforeEach(() => (h = makeHarness()));
  afterEach(() => h.cleanup());

  for (const [name, command, expected, reason] of CASES) {
    it(`${expected}: ${name}`, async () => {
      const cmd = command(h.outside);
      const allowedOnlyLs = name === 'a command outside allowed_commands';
      const scope = h.scope(undefined, { settings: { denied_commands: ['curl'], ...(allowedOnlyLs ? { allowed_commands: ['ls'] } : {}) } });
      const prepared = await h.prepare('bash', { command: cmd }, scope);
      assert.equal(prepared.decision.kind, expected, `${cmd}\n${JSON.stringify(prepared.decision)}`);
      if (reason) assert.match(prepared.decision.reason, reason);
      const auth = expected === 'block' ? ({ by: 'user' } as const) : expected === 'ask_every_time' ? ({ by: 'yes_flag' } as const) : ({ by: 'policy' } as const);
      const outcome = await h.engine.execute(prepared, auth, new AbortController().signal);
      assert.equal(outcome.status, 'blocked');
      assert.equal(fs.existsSync(path.join(h.root, 'marker')), false, 'marker created in the workspace');
      assert.equal(fs.existsSync(path.join(h.outside, 'marker')), false, 'marker created outside');
    });
  }

  it('an agent list narrows the workspace allowed_commands and cannot widen it', async () => {
    const scope = h.scope(undefined, { settings: { allowed_commands: ['ls', 'cat'] } }, { allowed_commands: ['ls', 'touch'] });
    assert.equal((await h.prepare('bash', { command: 'cat x' }, scope)).decision.kind, 'block');
    assert.equal((await h.prepare('bash', { command: 'touch marker' }, scope)).decision.kind, 'block');
    assert.equal((await h.prepare('bash', { command: 'ls' }, scope)).decision.kind, 'ask');
  });

  it('an agent denied_commands adds to the workspace ones', async () => {
    const scope = h.scope(undefined, {}, { denied_commands: ['git'] });
    const prepared = await h.prepare('bash', { command: 'git status' }, scope);
    assert.equal(prepared.decision.kind, 'block');
  });
});
