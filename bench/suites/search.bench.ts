import { spawn } from 'node:child_process';
import * as path from 'node:path';
import type { ToolCallRequest } from '../../src/core/providers/types';
import { type BenchResult, type BenchSuite, quick, sampleInterleaved } from '../harness';
import { generateWorkspace } from '../support/generatedWorkspace';
import { loadProductionModule } from '../support/productionBundle';

type ToolsModule = typeof import('../support/toolsEntry');

const FILES = 50_000;
const SAMPLES = quick() ? 5 : 15;
const RG = process.env.BREAKWATER_RG ?? 'rg';

/** Runs rg to completion; resolves with the number of output lines. */
function rawRipgrep(args: readonly string[], cwd: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(RG, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let lines = 0;
    child.stdout.on('data', (chunk: Buffer) => {
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
    });
    child.on('error', (e) => reject(new Error(`ripgrep (${RG}) did not start: ${e.message}. Install ripgrep or set BREAKWATER_RG.`)));
    child.on('close', (code) => (code === 0 || code === 1 ? resolve(lines) : reject(new Error(`rg exited ${code}`))));
  });
}

/**
 * The `grep` and `glob` tools through the tool engine (validate → sandbox judgement → policy → rg →
 * .breakwaterignore filter → cap) on a generated 50 000-file workspace, against raw `rg` with the same
 * flags run the same way (spawned from Node, output read to the end) in the same run.
 */
export const suite: BenchSuite = {
  name: 'search',
  async run(): Promise<BenchResult[]> {
    const tools = await loadProductionModule<ToolsModule>('bench/support/toolsEntry.ts');
    const t0 = Date.now();
    const ws = generateWorkspace(FILES);
    const generatedIn = Date.now() - t0;
    try {
      const engine = tools.createToolEngine({ host: { workspaceFolders: [ws.root], trusted: true, ripgrepPath: RG } });
      const config = tools.defaultConfig();
      const scope = { agentName: tools.DEFAULT_AGENT_NAME, agent: config.agents[tools.DEFAULT_AGENT_NAME]!, config };
      const signal = new AbortController().signal;
      const ignoreFile = path.join(ws.root, '.breakwaterignore');
      let id = 0;
      const viaEngine = (name: 'grep' | 'glob', args: Record<string, unknown>, expectLines: (output: string) => boolean) => async (): Promise<number> => {
        const call: ToolCallRequest = { id: `bench-${id++}`, name, args };
        const t = process.hrtime.bigint();
        const prepared = await engine.prepare(call, scope);
        const outcome = await engine.execute(prepared, { by: 'policy' }, signal);
        const ms = Number(process.hrtime.bigint() - t) / 1e6;
        if (outcome.status !== 'ok') throw new Error(`${name} ${JSON.stringify(args)} returned ${outcome.status}: ${outcome.error}`);
        if (!expectLines(outcome.output)) throw new Error(`${name} output is not what rg finds: ${outcome.output.slice(0, 200)}`);
        return ms;
      };
      const viaRg = (args: readonly string[], expected: number) => async (): Promise<number> => {
        const t = process.hrtime.bigint();
        const lines = await rawRipgrep(args, ws.root);
        const ms = Number(process.hrtime.bigint() - t) / 1e6;
        if (lines !== expected) throw new Error(`rg ${args.join(' ')} found ${lines} lines, expected ${expected}`);
        return ms;
      };
      // Every 97th generated file has the marker; build/ and secrets/ (ignored) have one more each.
      const grepMatches = Math.ceil(FILES / 97);
      const grepRgArgs = ['--line-number', '--no-heading', '--with-filename', '--null', '--color', 'never', '--no-require-git', '--no-messages', '--max-columns', '400', '--max-columns-preview', '--ignore-file', ignoreFile, '-e', 'TODO\\(bench\\)', '--', '.'];
      // mod7 exists in each of the 10 pkg folders with 100 files each.
      const globMatches = FILES / 100 / 50 * 100;
      const globRgArgs = ['--files', '--no-require-git', '--no-messages', '--glob', '**/mod7/*.ts', '--ignore-file', ignoreFile];
      const s = await sampleInterleaved(
        {
          grep: viaEngine('grep', { pattern: 'TODO\\(bench\\)', path: '.', recursive: true }, (out) => out.split('\n').length === grepMatches),
          rgGrep: viaRg(grepRgArgs, grepMatches),
          glob: viaEngine('glob', { pattern: '**/mod7/*.ts' }, (out) => out.startsWith(`Found ${globMatches} files`)),
          rgGlob: viaRg(globRgArgs, globMatches),
        },
        SAMPLES,
      );
      const bar = { on: 'ratio', max: 1.3, unit: '×' } as const;
      const note = `${FILES} files (generated in ${(generatedIn / 1000).toFixed(1)} s), .gitignore + .breakwaterignore honoured by both`;
      return [
        { name: `search: grep tool, ${grepMatches} matches`, unit: 'ms', figure: s.grep, baseline: { name: 'raw rg, same flags', figure: s.rgGrep }, bar, note },
        { name: `search: glob tool, ${globMatches} files`, unit: 'ms', figure: s.glob, baseline: { name: 'raw rg --files, same flags', figure: s.rgGlob }, bar, note },
      ];
    } finally {
      ws.dispose();
    }
  },
};
