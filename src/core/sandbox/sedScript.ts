/**
 * Reads a sed script far enough to find the commands that reach outside the text being edited: `e`
 * and the `s///e` flag run the pattern space as a shell command, `w`/`W` and `s///w` write a file
 * named in the script, `r`/`R` read one. Returns what was found, `unreadable` when the script is not
 * one this reader understands (the caller then asks every time), or undefined for a plain edit.
 */
export function sedScriptRisk(script: string): string | undefined {
  let i = 0;
  const n = script.length;
  const eol = () => {
    while (i < n && script[i] !== '\n') i++;
  };
  /** Skips a delimited part (`/re/`, `\cREc`, an s-command part), honouring `\` escapes and [brackets]. */
  const delimited = (delim: string): boolean => {
    while (i < n) {
      const c = script[i];
      if (c === '\\') i += 2;
      else if (c === delim) {
        i++;
        return true;
      } else if (c === '\n' && delim !== '\n') return false;
      else i++;
    }
    return false;
  };
  const address = (): boolean => {
    const c = script[i];
    if (c === '/') {
      i++;
      if (!delimited('/')) return false;
      while (script[i] === 'I' || script[i] === 'M') i++;
    } else if (c === '\\') {
      const d = script[i + 1];
      i += 2;
      if (d === undefined || !delimited(d)) return false;
    } else if (c === '$') i++;
    else if (/[0-9]/.test(c ?? '')) {
      while (/[0-9~]/.test(script[i] ?? '')) i++;
    }
    return true;
  };
  while (i < n) {
    while (i < n && /[\s;]/.test(script.charAt(i))) i++;
    if (i >= n) break;
    if (!address()) return 'unreadable';
    if (script[i] === ',') {
      i++;
      if (script[i] === '+' || script[i] === '~') i++;
      if (!address()) return 'unreadable';
    }
    while (script[i] === ' ' || script[i] === '!') i++;
    const cmd = script[i++];
    switch (cmd) {
      case undefined:
        return 'unreadable';
      case '{':
      case '}':
      case '=': case 'd': case 'D': case 'g': case 'G': case 'h': case 'H': case 'n': case 'N': case 'p': case 'P': case 'x': case 'z': case 'F':
        break;
      case '#':
      case ':':
      case 'b': case 't': case 'T': case 'v':
      case 'q': case 'Q': case 'l': case 'L':
        // A label or an optional number, up to the end of the command.
        while (i < n && script[i] !== '\n' && script[i] !== ';' && !(cmd !== '#' && cmd !== ':' && script[i] === '}')) i++;
        break;
      case 'a': case 'i': case 'c':
        // Text up to an unescaped end of line.
        while (i < n && script[i] !== '\n') i += script[i] === '\\' ? 2 : 1;
        break;
      case 'e':
        return 'runs a shell command from the sed script (e)';
      case 'w': case 'W':
        return 'writes a file named inside the sed script (w)';
      case 'r': case 'R':
        return 'reads a file named inside the sed script (r)';
      case 'y': {
        const d = script[i++];
        if (d === undefined || !delimited(d) || !delimited(d)) return 'unreadable';
        break;
      }
      case 's': {
        const d = script[i++];
        if (d === undefined || d === '\n' || d === '\\' || !delimited(d) || !delimited(d)) return 'unreadable';
        while (i < n && /[gpiImMe0-9w]/.test(script.charAt(i))) {
          if (script[i] === 'e') return 'runs the result of a substitution as a shell command (s///e)';
          if (script[i] === 'w') return 'writes a file named inside the sed script (s///w)';
          i++;
        }
        break;
      }
      default:
        return 'unreadable';
    }
    if (cmd === '#') eol();
  }
  return undefined;
}
