import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runProcess } from './processRunner';
import type { OutputCap } from './outputCap';
import type { ToolOutcome } from './processRunner';
import { userConfigDir, userStateDir } from '../store/userStateDir';
import { bwrapArgs } from './bwrapArgs';
import { buildChildEnv } from './childEnv';
import { IgnoreRules } from './ignoreRules';
import { MountStubs } from './mountStubs';
import { startNetworkGate, type NetworkGate } from './networkGate';
import { detectedSandbox, detectSandbox, type SandboxAvailability, type SandboxKind } from './sandboxAvailability';
import { isSandboxSetupError } from './sandboxErrors';
import { buildSandboxProfile } from './sandboxProfile';
import { systemView } from './systemView';
import { WorkspaceScanner } from './workspaceScan';

/** `settings.sandbox`, flattened into the call's stored policy. */
export interface SandboxSettings {
  readonly mode: 'auto' | 'required' | 'off';
  /** Hosts sandboxed commands may reach through the filtering proxy; none by default. */
  readonly networkAllow: readonly string[];
}

export const DEFAULT_SANDBOX_SETTINGS: SandboxSettings = { mode: 'auto', networkAllow: [] };

/** How a command will run: sandboxed, without the sandbox (so only with an approval of that very call), or not at all. */
export type Confinement =
  | { readonly kind: 'sandboxed'; readonly sandbox: 'bubblewrap' }
  | { readonly kind: 'unsandboxed'; readonly reason: string }
  | { readonly kind: 'refused'; readonly reason: string };

/** What `--status` and the Status tree show. */
export interface SandboxStatus {
  /** An OS sandbox can start on this machine. */
  readonly available: boolean;
  readonly mode: SandboxSettings['mode'];
  /** What runs commands: `none` when they run without a sandbox (unavailable, or mode off). */
  readonly kind: SandboxKind;
  /** Why commands are not sandboxed, or what the sandbox cannot do (network without socat). */
  readonly reason?: string;
}

/** One program to start for a tool. */
export interface CommandSpec {
  /** The program and its arguments; `gateSocket` is the network gate's socket inside the sandbox when `forward` is set. */
  readonly argv: (where: { readonly sandboxed: boolean; readonly gateSocket?: string }) => readonly string[];
  readonly cwd: string;
  readonly settings: SandboxSettings;
  readonly workspaceFolders: readonly string[];
  /** Host files the program needs read-only (ssh: its key file and known_hosts). */
  readonly readable?: readonly string[];
  /** Host Unix sockets it needs at the same path (ssh: the agent's). */
  readonly sockets?: readonly string[];
  /** The only place it may connect to (ssh: the server); otherwise `settings.networkAllow` through the proxy. */
  readonly forward?: { readonly host: string; readonly port: number };
  /** Milliseconds before the command and everything it started is killed. */
  readonly timeoutMs: number;
  readonly cap: OutputCap;
  readonly signal: AbortSignal;
}

export interface CommandSandboxOptions {
  /** bwrap binary (path or name on PATH); `bwrap` by default. Hosts pass `BREAKWATER_BWRAP`. */
  readonly bwrap?: string;
  /** socat binary, needed for `network_allow` and ssh; `socat` by default. */
  readonly socat?: string;
  readonly platform?: NodeJS.Platform;
  /** The environment children's environments are built from (allowlisted); `process.env` by default. */
  readonly env?: NodeJS.ProcessEnv;
  /** Breakwater's user state dir (the stub registry lives there); `userStateDir()` by default. */
  readonly stateDir?: string;
  /** Paths no command may see, e.g. the store. */
  readonly hidden?: readonly string[];
}

const GATE_INSIDE = '/run/breakwater/gate.sock';
const PROXY_PORT = 3128;

/**
 * The one launcher every tool that starts a process goes through (`bash`, the local side of `ssh`):
 * it decides how a command is confined and starts it that way. On Linux with bubblewrap each command
 * gets the profile of `sandboxProfile.ts`; where no sandbox can start, `auto` runs it without one (the
 * tools make every such call ask every time) and `required` refuses it.
 */
export class CommandSandbox {
  private readonly scanner = new WorkspaceScanner(new IgnoreRules());
  private readonly stubs: MountStubs;
  private readonly env: NodeJS.ProcessEnv;
  private readonly stateDir: string;
  /** Aborted by `dispose`: the host is going away (window closed), so every running command is killed. */
  private readonly lifetime = new AbortController();

  constructor(private readonly options: CommandSandboxOptions = {}) {
    this.env = options.env ?? process.env;
    this.stateDir = options.stateDir ?? userStateDir(this.env);
    this.stubs = new MountStubs(path.join(this.stateDir, 'sandbox-stubs'));
  }

  availability(): Promise<SandboxAvailability> {
    return detectSandbox(this.detectOptions());
  }

  /** How a command with these settings runs; `ssh` asks with `forward` (it needs socat to reach its server). */
  async confinement(settings: SandboxSettings, needs: { readonly forward?: boolean } = {}): Promise<Confinement> {
    if (settings.mode === 'off') return { kind: 'unsandboxed', reason: 'not sandboxed: the OS sandbox is off (settings.sandbox.mode: off)' };
    const a = await this.availability();
    let missing: string | undefined;
    if (!a.available) missing = `${a.reason}; to sandbox commands, ${a.install}`;
    else if (needs.forward === true && a.socat === undefined) missing = 'socat is not installed, and ssh reaches its server from inside the sandbox through it; to sandbox ssh, install socat (Debian/Ubuntu: sudo apt install socat)';
    if (missing === undefined) return { kind: 'sandboxed', sandbox: 'bubblewrap' };
    if (settings.mode === 'required') return { kind: 'refused', reason: `commands must run in the OS sandbox (settings.sandbox.mode: required), but ${missing}` };
    return { kind: 'unsandboxed', reason: `not sandboxed: ${missing}` };
  }

  /** For `--status` and the Status tree; synchronous, so it reports "not checked yet" before the first probe ends. */
  status(settings: SandboxSettings): SandboxStatus {
    const a = detectedSandbox(this.detectOptions());
    if (a === undefined) return { available: false, mode: settings.mode, kind: 'none', reason: 'the sandbox has not been checked yet' };
    if (settings.mode === 'off') return { available: a.available, mode: 'off', kind: 'none', reason: 'settings.sandbox.mode is off: commands run without the OS sandbox, and every command asks every time' };
    if (!a.available) {
      const then = settings.mode === 'required' ? 'commands are refused (mode required)' : 'every command asks every time (mode auto)';
      return { available: false, mode: settings.mode, kind: 'none', reason: `${a.reason}; ${then}; to sandbox commands, ${a.install}` };
    }
    if (settings.networkAllow.length > 0 && a.socat === undefined) {
      return { available: true, mode: settings.mode, kind: 'bubblewrap', reason: 'socat is not installed, so network_allow cannot be honoured: sandboxed commands have no network' };
    }
    return { available: true, mode: settings.mode, kind: 'bubblewrap' };
  }

  /** Kills every command still running and refuses new ones (the extension deactivates, the CLI exits). */
  dispose(): void {
    this.lifetime.abort(new Error('Breakwater is shutting down'));
    this.stubs.flush();
  }

  async run(spec: CommandSpec): Promise<ToolOutcome> {
    if (this.lifetime.signal.aborted) return { status: 'error', error: 'Not run: Breakwater is shutting down.' };
    const confinement = await this.confinement(spec.settings, { forward: spec.forward !== undefined });
    if (confinement.kind === 'refused') return { status: 'blocked', error: `Not run: ${confinement.reason}.` };
    const base = { cwd: spec.cwd, timeoutMs: spec.timeoutMs, cap: spec.cap, signal: AbortSignal.any([spec.signal, this.lifetime.signal]) };
    if (confinement.kind === 'unsandboxed') {
      const [file, ...args] = spec.argv({ sandboxed: false });
      if (file === undefined) return { status: 'error', error: 'Not run: the command is empty.' };
      return runProcess(file, args, { ...base, env: buildChildEnv(this.env) });
    }
    const available = (await this.availability()) as Extract<SandboxAvailability, { available: true }>;
    let gate: NetworkGate | undefined;
    let release: (() => Promise<void>) | undefined;
    try {
      const findings = spec.workspaceFolders.map((f) => this.scanner.scan(f, spec.workspaceFolders));
      const lease = await this.stubs.hold(findings.flatMap((f) => f.roots));
      release = () => lease.release();
      const home = this.env.HOME || os.homedir();
      const env = buildChildEnv(this.env, { HOME: home, TMPDIR: '/tmp' }) as Record<string, string>;
      const sockets = (spec.sockets ?? []).filter(isSocket).map((s) => ({ host: s, inside: s }));
      if (!sockets.some((s) => s.host === env.SSH_AUTH_SOCK)) delete env.SSH_AUTH_SOCK;
      let argv = spec.argv({ sandboxed: true, gateSocket: GATE_INSIDE });
      const extraReadable = [...(spec.readable ?? [])];
      if (spec.forward !== undefined) {
        gate = await startNetworkGate({ kind: 'forward', host: spec.forward.host, port: spec.forward.port });
      } else if (spec.settings.networkAllow.length > 0 && available.socat !== undefined) {
        gate = await startNetworkGate({ kind: 'proxy', allow: spec.settings.networkAllow });
        argv = withProxyRelay(available.socat, argv);
        const proxy = `http://127.0.0.1:${PROXY_PORT}`;
        for (const name of ['HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'http_proxy', 'https_proxy', 'all_proxy']) env[name] = proxy;
      }
      if (gate !== undefined) {
        sockets.push({ host: gate.socketPath, inside: GATE_INSIDE });
        if (available.socat !== undefined) extraReadable.push(available.socat);
      }
      const profile = buildSandboxProfile({
        workspaceFolders: spec.workspaceFolders,
        findings,
        stubs: lease.held,
        system: systemView(this.env.PATH ?? '/usr/bin:/bin', home),
        home,
        hidden: [...(this.options.hidden ?? []), this.stateDir, userConfigDir(this.env), ...spec.workspaceFolders.map((f) => path.join(f, '.breakwater', 'runs'))],
        extraReadable,
        sockets,
        cwd: spec.cwd,
        env,
      });
      const outcome = await runProcess(available.bwrap, bwrapArgs(profile, argv), { ...base, env });
      return explainSetupFailure(outcome);
    } catch (err) {
      if (isSandboxSetupError(err)) return { status: 'error', error: `Not run: the OS sandbox could not be set up: ${err.message}.` };
      throw err;
    } finally {
      await release?.();
      await gate?.close();
    }
  }

  private detectOptions() {
    return {
      ...(this.options.platform !== undefined ? { platform: this.options.platform } : {}),
      ...(this.options.bwrap !== undefined ? { bwrap: this.options.bwrap } : {}),
      ...(this.options.socat !== undefined ? { socat: this.options.socat } : {}),
      searchPath: this.env.PATH ?? '/usr/bin:/bin',
    };
  }
}

/** Starts socat inside the sandbox as the proxy's local end (127.0.0.1:3128 → the gate socket), waits until it listens, then runs `argv`. */
function withProxyRelay(socat: string, argv: readonly string[]): string[] {
  const script = [
    `${socat} TCP-LISTEN:${PROXY_PORT},bind=127.0.0.1,fork,reuseaddr UNIX-CONNECT:${GATE_INSIDE} </dev/null >/dev/null 2>&1 &`,
    `for _ in $(seq 1 400); do (exec 3<>/dev/tcp/127.0.0.1/${PROXY_PORT}) 2>/dev/null && break; sleep 0.005; done`,
    'exec "$@"',
  ].join('\n');
  return ['/bin/bash', '-c', script, 'breakwater-network', ...argv];
}

function isSocket(p: string): boolean {
  try {
    return fs.statSync(p).isSocket();
  } catch {
    return false;
  }
}

/** bwrap's own failure (a mount it could not make) names itself on stderr; say it was the sandbox, not the command. */
function explainSetupFailure(outcome: ToolOutcome): ToolOutcome {
  if (outcome.status === 'error' && /^Exit 1\.\n\[stderr\]\nbwrap: /.test(outcome.error)) {
    return { status: 'error', error: `Not run: the OS sandbox could not start (nothing of the command ran).\n${outcome.error}` };
  }
  return outcome;
}
