/**
 * Text shown to a person who must decide (approval cards, the terminal y/n prompt, `--json`
 * summaries, run-log summaries) with every character that could hide or rewrite part of it made
 * visible: ANSI escape sequences, carriage returns and backspaces (which overwrite what came before
 * on a terminal), C1 controls, bidi overrides and isolates (which reorder what is shown), zero-width
 * and other invisible format characters, line/paragraph separators and invisible letters.
 *
 * Pure (no Node or DOM API) so the webview bundle uses the same function as the core and the CLI.
 * Escaping is idempotent: escaped text contains no character this escapes again.
 */

/**
 * Characters that are never shown as themselves: controls (C0, DEL, C1), format characters (bidi
 * overrides and isolates, zero-width space/joiners, soft hyphen, tags), line and paragraph
 * separators, and every default-ignorable code point (variation selectors, Hangul fillers…).
 * `\n` and `\t` are left to the caller's choice.
 */
const HIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}]/gu;

const NAMED: Readonly<Record<string, string>> = { '\r': '\\r', '\b': '\\b', '\x1b': '\\e', '\f': '\\f', '\v': '\\v', '\0': '\\0', '\x07': '\\a' };

function escapeOne(c: string): string {
  if (c === '\n' || c === '\t') return c;
  const named = NAMED[c];
  if (named !== undefined) return named;
  const code = c.codePointAt(0) ?? 0;
  if (code <= 0xff) return `\\x${code.toString(16).padStart(2, '0')}`;
  return `\\u{${code.toString(16).toUpperCase()}}`;
}

/**
 * `text` with hidden characters escaped (`\e[31m`, `\r`, `\b`, `\u{202E}`…). `multiline` keeps
 * line breaks and tabs (an approval card or a terminal block); otherwise they are escaped too, so a
 * summary stays one line whatever the command holds.
 */
export function visibleText(text: string, options: { multiline?: boolean } = {}): string {
  const escaped = text.replace(HIDDEN, escapeOne);
  if (options.multiline === true) return escaped;
  return escaped.replace(/\n/g, '\\n').replace(/\t/g, '\\t');
}

/**
 * Breaks `text` into lines of at most `width` characters (preferring spaces), each continuation
 * line indented by `indent`, so a long command is shown whole at a prompt instead of cut off.
 */
export function wrapText(text: string, width: number, indent = ''): string {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    let rest = line;
    let first = true;
    while (rest.length > 0) {
      const room = Math.max(8, width - (first ? 0 : indent.length));
      if (rest.length <= room) {
        out.push(first ? rest : indent + rest);
        break;
      }
      let cut = rest.lastIndexOf(' ', room);
      if (cut <= room / 2) cut = room;
      out.push((first ? '' : indent) + rest.slice(0, cut));
      rest = rest.slice(cut).replace(/^ /, '');
      first = false;
    }
    if (line.length === 0) out.push('');
  }
  return out.join('\n');
}
