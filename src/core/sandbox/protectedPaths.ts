/**
 * Paths that need approval every time (README, "What is blocked, asked and allowed"). Matching is
 * case-insensitive because macOS and Windows file systems are, and `.GIT/config` is `.git/config` there.
 */
const PROTECTED_DIRS = new Set(['.git', '.vscode', '.breakwater']);
const PROTECTED_FILES = new Set(['.breakwaterignore']);

/** A write below `.git/`, `.vscode/`, `.breakwater/` (at any depth, e.g. a submodule's `.git`) or to `.breakwaterignore`. */
export function protectedWriteReason(relativePath: string): string | undefined {
  const segments = relativePath.toLowerCase().split('/').filter((s) => s.length > 0);
  const dir = segments.find((s) => PROTECTED_DIRS.has(s));
  if (dir !== undefined) return `writes inside ${dir}/ change how the workspace, the editor or Breakwater behave`;
  const name = segments.at(-1);
  if (name !== undefined && PROTECTED_FILES.has(name)) return `${name} decides what agents may not touch`;
  return undefined;
}

/** Reading a likely secret: `.env*`, `*.pem`, `*.key`, `id_rsa*`. */
export function secretReadReason(relativePath: string): string | undefined {
  const name = (relativePath.split('/').at(-1) ?? '').toLowerCase();
  if (name.startsWith('.env') || name.endsWith('.pem') || name.endsWith('.key') || name.startsWith('id_rsa')) {
    return `${name} may hold secrets`;
  }
  return undefined;
}
