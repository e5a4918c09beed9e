import * as os from 'node:os';
import * as path from 'node:path';

/**
 * Breakwater's folder in the user's state dir: `$XDG_STATE_HOME/breakwater`, by default
 * `~/.local/state/breakwater`. The CLI's stores live under it (one per workspace), and so does what the
 * OS sandbox must share between processes. Agents' commands never see it (the sandbox hides the home).
 */
export function userStateDir(env: Readonly<Record<string, string | undefined>> = process.env, home: string = env.HOME || os.homedir()): string {
  const xdg = env.XDG_STATE_HOME;
  // The XDG spec: a relative value is invalid and must be ignored.
  const base = xdg !== undefined && path.isAbsolute(xdg) ? xdg : path.join(home, '.local', 'state');
  return path.join(base, 'breakwater');
}

/** Breakwater's folder in the user's config dir (`$XDG_CONFIG_HOME/breakwater`, by default `~/.config/breakwater`). */
export function userConfigDir(env: Readonly<Record<string, string | undefined>> = process.env, home: string = env.HOME || os.homedir()): string {
  const xdg = env.XDG_CONFIG_HOME;
  const base = xdg !== undefined && path.isAbsolute(xdg) ? xdg : path.join(home, '.config');
  return path.join(base, 'breakwater');
}
