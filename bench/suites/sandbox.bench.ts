import * as fs from 'node:fs';
import * as os from 'node:os';
import type { ToolCallRequest } from '../../src/core/providers/types';
import { type BenchResult, type BenchSuite, quick, sampleInterleaved } from '../harness';
import { generateWorkspace } from '../support/generatedWorkspace';
import { loadProductionModule } from '../support/productionBundle';

type ToolsModule = typeof import('../support/toolsEntry');

const SAMPLES = quick() ? 8 : 40;

/**
 * One `bash` call running `true` through the tool engine (prepare → judge → execute → process → result),
 * in the OS sandbox (bubblewrap: workspace scan, stubs for missing protected names, mounts, PID and
 * network namespaces) against the same call with `settings.sandbox.mode: off`, interleaved in the same
 * run. Measured on a 2 000-file workspace (a typical project) and a 50 000-file one (where the scan of
 * the tree for secrets and ignored paths is the cost that grows).
 */
export const suite: BenchSuite = {
  name: 'sandbox',
  async run(): Promise<BenchResult[]> {
    const tools = await loadProductionModule<ToolsModule>('bench/support/toolsEntry.ts');
    const available = await tools.detectSandbox();
    if (!available.available) throw new Error(`no sandbox on this machine: ${available.reason}`);
    // The sandbox's stub registry lives in the user's state dir: a temporary one, not the real home.
    const state = fs.mkdtempSync(`${os.tmpdir()}/bw-bench-state-`);
    const previousState = process.env.XDG_STATE_HOME;
    process.env.XDG_STATE_HOME = state;
    const results: BenchResult[] = [];
    try {
      for (const files of [2_000, 50_000]) {
        const ws = generateWorkspace(files);
        try {
          // Secrets the scan must find and hide, spread over the tree.
          fs.writeFileSync(`${ws.root}/.env`, 'TOKEN=x\n');
          fs.writeFileSync(`${ws.root}/src/pkg0/mod1/server.pem`, 'x\n');
          // A workspace someone works in, not one written a moment ago: the scan re-lists a folder changed within its
          // settle window (2 s, for coarse timestamps) on every call, which only a just-generated tree hits throughout.
          await new Promise((r) => setTimeout(r, 2_500));
          const engine = tools.createToolEngine({ host: { workspaceFolders: [ws.root], trusted: true, ripgrepPath: 'rg' } });
          const base = tools.defaultConfig();
          const agent = base.agents[tools.DEFAULT_AGENT_NAME]!;
          const scopeFor = (mode: 'auto' | 'off') => {
            const config = { ...base, settings: { ...base.settings, sandbox: { mode, network_allow: [] } } };
            return { agentName: tools.DEFAULT_AGENT_NAME, agent: { ...agent, tools: [...agent.tools, 'bash' as const] }, config };
          };
          const signal = new AbortController().signal;
          let id = 0;
          const call = (mode: 'auto' | 'off') => async (): Promise<number> => {
            const request: ToolCallRequest = { id: `bench-${id++}`, name: 'bash', args: { command: 'true' } };
            const t = process.hrtime.bigint();
            const prepared = await engine.prepare(request, scopeFor(mode));
            const outcome = await engine.execute(prepared, { by: 'user' }, signal);
            const ms = Number(process.hrtime.bigint() - t) / 1e6;
            if (outcome.status !== 'ok') throw new Error(`bash true (${mode}) returned ${outcome.status}: ${outcome.error}`);
            const sandboxed = prepared.approval?.tool === 'bash' && prepared.approval.unsandboxed === undefined;
            if (sandboxed !== (mode === 'auto')) throw new Error(`bash true (${mode}) ran ${sandboxed ? 'sandboxed' : 'without the sandbox'}`);
            return ms;
          };
          const s = await sampleInterleaved({ sandboxed: call('auto'), plain: call('off') }, SAMPLES);
          results.push({
            name: `sandbox: bash "true", ${files} files`,
            unit: 'ms',
            figure: s.sandboxed,
            baseline: { name: 'same call, sandbox off', figure: s.plain },
            bar: { on: 'added', max: 25, unit: 'ms' },
            note: `bubblewrap at ${available.bwrap}; workspace with .env, a *.pem and a .breakwaterignore'd folder`,
          });
        } finally {
          ws.dispose();
        }
      }
    } finally {
      if (previousState === undefined) delete process.env.XDG_STATE_HOME;
      else process.env.XDG_STATE_HOME = previousState;
      fs.rmSync(state, { recursive: true, force: true });
    }
    return results;
  },
};
