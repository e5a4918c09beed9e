/** One problem in the agents file, located by key path and (when it came from a file) line. */
export interface ConfigIssue {
  /** `agents.x.tools[2]`; empty for a problem with the whole file. */
  readonly path: string;
  /** 1-based line in the file, when known. */
  readonly line?: number;
  readonly message: string;
}

const brand = Symbol.for('breakwater.ConfigError');

/** The agents file cannot be used. The message lists every issue, one per line, each with path and line. */
export class ConfigError extends Error {
  readonly [brand] = true;

  constructor(
    readonly file: string,
    readonly issues: readonly ConfigIssue[],
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${issues.length === 1 ? 'invalid configuration' : `${issues.length} problems`}\n${issues.map((i) => `  ${formatIssue(i)}`).join('\n')}`, options);
    this.name = 'ConfigError';
  }
}

export function isConfigError(e: unknown): e is ConfigError {
  return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[brand] === true;
}

export function formatIssue(issue: ConfigIssue): string {
  const where = [issue.path || '(file)', issue.line === undefined ? '' : ` (line ${issue.line})`].join('');
  return `${where}: ${issue.message}`;
}

/** `['agents','x','tools',2]` → `agents.x.tools[2]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const step of path) {
    if (typeof step === 'number') out += `[${step}]`;
    else out += out === '' ? String(step) : `.${String(step)}`;
  }
  return out;
}
