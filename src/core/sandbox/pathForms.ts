import * as nodePath from 'node:path';

/**
 * Pure checks on path strings, parameterised by the path flavour so the Windows rules are tested on
 * Linux with `path.win32`. Nothing here touches the disk.
 */
export type PathApi = typeof nodePath.posix  ;

/** Windows device names that open a device whatever the folder or extension (`NUL.txt`, `C:\x\con`). */
const WINDOWS_DEVICE_NAMES = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)(\..*)?$/i;

/**
 * Why a path string is refused before it is resolved, or undefined when its form is acceptable.
 * URL-encoded forms (`%2e%2e`) and `~` are deliberately not special: they are literal names.
 */
export function pathFormProblem(input: string, api: PathApi): string | undefined {
  if (input.length === 0) return 'the path is empty; give a path relative to the workspace folder';
  if (input.includes('\0')) return 'the path contains a NUL byte';
  if (api === nodePath.win32) {
    if (/^[\\/]{2}[?.][\\/]/.test(input)) return 'device and long-path prefixes (\\\\?\\, \\\\.\\) are not allowed';
    if (/^[\\/]{2}[^\\/]/.test(input)) return 'UNC network paths (\\\\server\\share) are not allowed';
    if (/^[a-zA-Z]:(?![\\/])/.test(input)) return 'drive-relative paths (C:foo) are not allowed; use a path relative to the workspace';
    // A colon anywhere but after a leading drive letter names an alternate data stream (`file:stream`).
    const afterDrive = /^[a-zA-Z]:[\\/]/.test(input) ? input.slice(2) : input;
    if (afterDrive.includes(':')) return 'alternate data streams (name:stream) are not allowed';
    for (const segment of input.split(/[\\/]/)) {
      if (WINDOWS_DEVICE_NAMES.test(segment.replace(/[ .]+$/, ''))) return `"${segment}" is a Windows device name`;
    }
  }
  return undefined;
}

/**
 * True when `target` equals `folder` or lies below it, comparing whole segments so `/w/app` does not
 * contain `/w/app-evil`. Both must be absolute and normalised; Windows compares case-insensitively.
 */
export function isInsideFolder(folder: string, target: string, api: PathApi): boolean {
  const norm = (p: string) => (api === nodePath.win32 ? api.normalize(p).toLowerCase() : api.normalize(p));
  const rel = api.relative(norm(folder), norm(target));
  if (rel === '') return true;
  if (api.isAbsolute(rel)) return false; // another drive on Windows
  const first = rel.split(api.sep)[0];
  return first !== '..';
}

/** The folder (of several) that contains `target`, preferring the deepest one for nested roots. */
export function containingFolder(folders: readonly string[], target: string, api: PathApi): string | undefined {
  let best: string | undefined;
  for (const folder of folders) {
    if (isInsideFolder(folder, target, api) && (best === undefined || folder.length > best.length)) best = folder;
  }
  return best;
}

/**
 * The folder a relative path is resolved against: in a multi-root workspace `app/src/x` means folder
 * `app` when one is named so (VS Code's convention), otherwise the first folder.
 */
export function baseFolderFor(folders: readonly string[], input: string, api: PathApi): { folder: string; rest: string } {
  const first = input.split(/[\\/]/)[0] ?? '';
  if (folders.length > 1) {
    const named = folders.find((f) => api.basename(f) === first);
    if (named !== undefined) return { folder: named, rest: input.slice(first.length).replace(/^[\\/]+/, '') || '.' };
  }
  const [only] = folders;
  if (only === undefined) throw new Error('no workspace folder to resolve a path in');
  return { folder: only, rest: input };
}

/** Workspace-relative form for display and for ignore matching (always forward slashes). */
export function toRelative(folder: string, target: string, api: PathApi): string {
  return api.relative(folder, target).split(api.sep).join('/');
}
