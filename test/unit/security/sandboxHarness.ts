import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { FakeLlm } from '../../fixtures/fake-llm';
import { testStoreOf } from '../../fixtures/stateHome';
import { replayRunLog } from '../../../src/core/runs/runLog';
import { runCliInProcess } from '../cli/runCliInProcess';

/** The key every attack tries to reach; it must never appear in what the model is sent. */
export const KEY = 'sk-ant-SANDBOX-KEY-7f3a91';

/** A workspace `app` with a sibling `app-evil` holding a secret, and a fake home with ~/.ssh/id_rsa. */
export interface EscapeWorld {
  readonly base: string;
  readonly ws: string;
  readonly sibling: string;
  readonly home: string;
  file(rel: string, content?: string): string;
  cleanup(): void;
}

export const SIBLING_SECRET = 'SIBLING-SECRET-c41e';
export const HOME_SECRET = 'HOME-SSH-KEY-9d02';

export function agentsYaml(): string {
  return `settings:\n  max_retries: 0\nagents:\n  dev:\n    provider: anthropic\n    tools: [read, write, bash]\n`;
}

/**
 * `userSettings` (indented `settings:` lines, e.g. the sandbox's mode) go into the user's own file: `settings.sandbox`
 * is sensitive, so from the workspace file it would need confirming, and `mode: off` is user scope only.
 */
export function escapeWorld(userSettings = ''): EscapeWorld {
  const base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bw-escape-')));
  const ws = path.join(base, 'app');
  const sibling = path.join(base, 'app-evil');
  const home = path.join(base, 'home');
  fs.mkdirSync(path.join(ws, '.breakwater'), { recursive: true });
  fs.writeFileSync(path.join(ws, '.breakwater', 'agents.yaml'), agentsYaml());
  if (userSettings !== '') {
    fs.mkdirSync(path.join(home, '.config', 'breakwater'), { recursive: true });
    fs.writeFileSync(path.join(home, '.config', 'breakwater', 'agents.yaml'), `settings:\n${userSettings}`);
  }
  fs.mkdirSync(sibling);
  fs.writeFileSync(path.join(sibling, 'x'), SIBLING_SECRET);
  fs.mkdirSync(path.join(home, '.ssh'), { recursive: true });
  fs.writeFileSync(path.join(home, '.ssh', 'id_rsa'), HOME_SECRET);
  return {
    base,
    ws,
    sibling,
    home,
    file(rel, content = 'hello\n') {
      const p = path.join(ws, rel);
      fs.mkdirSync(path.dirname(p), { recursive: true });
      fs.writeFileSync(p, content);
      return p;
    },
    cleanup() {
      fs.rmSync(base, { recursive: true, force: true });
    },
  };
}

/** What one attempt came to: how the gate decided, what ran, and what the model was told. */
export interface Attempt {
  /** Exit code of the first CLI (`--yes`): 0 when `--yes` covered it, 3 when it waited for this very call. */
  readonly firstExit: number;
  /** The gate's decision for the call, from the run log. */
  readonly decision: string;
  /** The call's final status (`ok`, `error`, `blocked`, …) after `--approve` when it needed one. */
  readonly status: string;
  /** The tool result as the model received it in the next request. */
  readonly modelSaw: string;
  readonly runId: string;
  readonly stderr: string;
}

export function cliEnv(llm: FakeLlm, world: EscapeWorld, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ANTHROPIC_API_KEY: KEY, ANTHROPIC_BASE_URL: llm.url, PATH: process.env.PATH, HOME: world.home, LANG: 'C.UTF-8', ...extra };
}

/**
 * Has the scripted model ask for `bash {command}` under `--yes`; a call that waits for its own approval
 * (ask every time) is then approved by its call id, as a user would. Either way the command runs, so
 * what stops it is the OS sandbox, not the shell policy.
 */
export async function attempt(
  llm: FakeLlm,
  world: EscapeWorld,
  command: string,
  options: { readonly env?: NodeJS.ProcessEnv; readonly store?: string } = {},
): Promise<Attempt> {
  const env = options.env ?? cliEnv(llm, world);
  const storeArgs = options.store === undefined ? [] : ['--store', options.store];
  llm.enqueue({ kind: 'reply', toolCalls: [{ id: 'c1', name: 'bash', args: { command } }] }, { kind: 'reply', text: 'done' });
  const first = await runCliInProcess(['--agent', 'dev', '--prompt', 'go', '--yes', '--json', ...storeArgs], world.ws, env);
  const runId = String(first.json().run_id);
  let final = first;
  if (first.code === 3) final = await runCliInProcess(['--approve', runId, '--call', 'c1', '--json', ...storeArgs], world.ws, env);
  const store = options.store === undefined ? testStoreOf(world.ws) : path.resolve(world.ws, options.store);
  const events = replayRunLog(path.join(store, `${runId}.jsonl`)).events;
  const decided = events.find((e) => e.type === 'tool_call_decided');
  const decision = decided?.type === 'tool_call_decided' ? decided.payload.prepared.decision.kind : 'none';
  const status = String((final.json().tool_calls as { status: string }[])[0]?.status);
  const last = llm.requests.at(-1);
  return { firstExit: first.code, decision, status, modelSaw: JSON.stringify(last?.body ?? {}), runId, stderr: first.err + final.err };
}
