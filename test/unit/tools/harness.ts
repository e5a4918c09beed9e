import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { configSchema, type BreakwaterConfigInput } from '../../../src/core/config/schema';
import { createToolEngine, type ToolEngineOptions } from '../../../src/core/tools/toolEngine';
import type { Authorization, PreparedCall, ToolOutcome, ToolScope } from '../../../src/core/tools/types';
import { must } from '../../fixtures/must';

/** A real temp workspace, an engine over it and helpers to prepare + execute in one step. */
export interface Harness {
  readonly root: string;
  /** A folder next to the workspace (outside it) for escape targets. */
  readonly outside: string;
  readonly engine: ReturnType<typeof createToolEngine>;
  scope(agentTools?: string[], config?: BreakwaterConfigInput, agentExtra?: Record<string, unknown>): ToolScope;
  prepare(tool: string, args: unknown, scope?: ToolScope): Promise<PreparedCall>;
  run(tool: string, args: unknown, auth?: Authorization, scope?: ToolScope): Promise<{ prepared: PreparedCall; outcome: ToolOutcome }>;
  file(rel: string, content?: string): string;
  cleanup(): void;
}

let seq = 0;
export const ALL_TOOLS = ['read', 'write', 'edit', 'list_dir', 'glob', 'grep', 'bash', 'http_request', 'ssh'];

export function makeHarness(options: Partial<ToolEngineOptions> & { trusted?: boolean } = {}): Harness {
  const base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bw-tools-')));
  const root = path.join(base, 'app');
  const outside = path.join(base, 'app-evil');
  fs.mkdirSync(root);
  fs.mkdirSync(outside);
  const engine = createToolEngine({
    host: { workspaceFolders: [root], trusted: options.trusted ?? true, ripgrepPath: 'rg' },
    commandTimeoutMs: 10_000,
    ...options,
  });
  const scope = (agentTools = ALL_TOOLS, config: BreakwaterConfigInput = {}, agentExtra: Record<string, unknown> = {}): ToolScope => {
    const cfg = configSchema.parse({ ...config, agents: { tester: { tools: agentTools, ...agentExtra } } });
    return { agentName: 'tester', agent: must(cfg.agents.tester, 'agent tester'), config: cfg };
  };
  const prepare = (tool: string, args: unknown, s = scope()) => engine.prepare({ id: `call-${++seq}`, name: tool, args }, s);
  return {
    root,
    outside,
    engine,
    scope,
    prepare,
    async run(tool, args, auth = { by: 'user' }, s) {
      const prepared = await prepare(tool, args, s);
      const outcome = await engine.execute(prepared, auth, new AbortController().signal);
      return { prepared, outcome };
    },
    file(rel, content = 'hello\n') {
      const p = path.join(root, rel);
      fs.mkdirSync(path.dirname(p), { recursive: true });
      fs.writeFileSync(p, content);
      return p;
    },
    cleanup() {
      fs.rmSync(base, { recursive: true, force: true });
    },
  };
}

/** True while a process with this pid exists. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A killed child of a reaper-less container init stays a zombie: it no longer runs anything.
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Polls until `check` holds (for process-table effects that settle asynchronously); no time assertion. */
export async function eventually(check: () => boolean, attempts = 100): Promise<boolean> {
  for (let i = 0; i < attempts; i++) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}
