import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startFakeLlm } from '../../test/fixtures/fake-llm';
import { type BenchResult, type BenchSuite, quick, sampleInterleaved } from '../harness';

const repoRoot = path.resolve(__dirname, '..', '..');
const cliJs = path.join(repoRoot, 'dist', 'cli.js');
const BIG_MB = 200;
const SAMPLES = quick() ? 3 : 7;
/** How often the child's peak resident memory is sampled (ms). VmHWM only grows, so the last sample holds the peak. */
const POLL_MS = 5;

/** VmHWM of a live process in MB (10^6 bytes), or undefined once it is gone. */
function peakMiB(pid: number): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+)\s+kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m?.[1] === undefined ? undefined : (Number(m[1]) * 1024) / 1e6;
  } catch {
    return undefined;
  }
}

/** Writes a text file of about `mib` MiB (numbered log lines), in 1 MiB steps. */
function writeTextFile(file: string, mib: number): void {
  const fd = fs.openSync(file, 'w');
  try {
    let n = 0;
    for (let written = 0; written < mib * 1024 * 1024; ) {
      const lines: string[] = [];
      for (let size = 0; size < 1024 * 1024; n++) {
        const line = `${n} 2025-01-01T00:00:00Z worker-${n % 16} handled request ${n * 7919} in ${n % 977} ms\n`;
        lines.push(line);
        size += line.length;
      }
      const chunk = lines.join('');
      fs.writeSync(fd, chunk);
      written += chunk.length;
    }
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Bounded memory for tool I/O: the built CLI (`node dist/cli.js --agent … --prompt …`)
 * runs an agent whose model (the fake LLM server) asks the `read` tool for a 200 MB text file, then
 * answers; the figure is the process's peak resident memory. The baseline is the same run reading a
 * 1 KB file (the CLI's own footprint, "idle" for tool I/O). Bar: ≤ 100 MB above it. Linux only (it
 * samples /proc/<pid>/status).
 */
export const suite: BenchSuite = {
  name: 'tool-memory',
  async run(): Promise<BenchResult[]> {
    if (process.platform !== 'linux') throw new Error('peak memory is read from /proc/<pid>/status: Linux only');
    if (!fs.existsSync(cliJs)) throw new Error('dist/cli.js is missing: run node esbuild.js --production (npm run bench does)');
    const fake = await startFakeLlm();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bw-bench-toolmem-'));
    try {
      const ws = path.join(dir, 'ws');
      fs.mkdirSync(path.join(ws, '.breakwater'), { recursive: true });
      fs.writeFileSync(path.join(ws, '.breakwater', 'agents.yaml'), 'settings:\n  max_retries: 0\n  rate_limit_per_minute: 100000\nagents:\n  reader:\n    provider: anthropic\n    tools: [read]\n');
      writeTextFile(path.join(ws, 'big.log'), BIG_MB);
      fs.writeFileSync(path.join(ws, 'small.log'), 'a short line of text\n'.repeat(50));
      const bigBytes = fs.statSync(path.join(ws, 'big.log')).size;

      /** One CLI run reading `file`; resolves with its peak RSS in MB. */
      const run = (file: string) => async (): Promise<number> => {
        fake.enqueue(
          { kind: 'reply', toolCalls: [{ id: 'r1', name: 'read', args: { path: file } }] },
          // Answering slowly keeps the process alive for a few samples after the read.
          { kind: 'reply', text: 'I have read it. '.repeat(10), tokenDelayMs: 10, chunkSize: 8 },
        );
        const store = fs.mkdtempSync(path.join(dir, 'store-'));
        const child = spawn(process.execPath, [cliJs, '--agent', 'reader', '--prompt', 'read it', '--json', '--store', store, '--workspace', ws], {
          cwd: ws,
          env: { PATH: process.env.PATH ?? '', HOME: dir, XDG_STATE_HOME: path.join(dir, 'state'), XDG_CONFIG_HOME: path.join(dir, 'config'), ANTHROPIC_API_KEY: 'bench-key', ANTHROPIC_BASE_URL: fake.url },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        let err = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (err += d.toString()));
        let peak = 0;
        const timer = setInterval(() => {
          const now = child.pid === undefined ? undefined : peakMiB(child.pid);
          if (now !== undefined) peak = Math.max(peak, now);
        }, POLL_MS);
        const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
        clearInterval(timer);
        fs.rmSync(store, { recursive: true, force: true });
        if (code !== 0) throw new Error(`the CLI exited ${code}: ${err}`);
        const json = JSON.parse(out) as { status: string; tool_calls: { status: string }[] };
        if (json.status !== 'completed' || json.tool_calls[0]?.status !== 'ok') throw new Error(`the run did not read ${file}: ${out.slice(0, 300)}`);
        if (peak === 0) throw new Error('no memory sample was taken');
        return peak;
      };
      const s = await sampleInterleaved({ big: run('big.log'), small: run('small.log') }, SAMPLES);
      return [
        {
          name: `tool-memory: peak RSS of the CLI reading a ${BIG_MB} MiB file (${Math.round(bigBytes / 1e6)} MB) with read`,
          unit: 'MB',
          figure: s.big,
          baseline: { name: 'the same run reading 1 KB', figure: s.small },
          bar: { on: 'added', max: 100, unit: 'MB' },
          note: 'node dist/cli.js, one read call from the fake LLM; VmHWM sampled every 5 ms',
        },
      ];
    } finally {
      await fake.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
};
