import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { readBounded } from '../../../src/core/tools/boundedRead';
import { capText } from '../../../src/core/sandbox/outputCap';
import { runRipgrep } from '../../../src/core/tools/ripgrep';
import { eventually, makeHarness, type Harness } from './harness';

const MB = 1024 * 1024;
const output = (o: { status: string; output?: string; error?: string }) => (o.status === 'ok' ? (o.output ?? '') : `${o.status}: ${o.error ?? ''}`);

/** A sparse file: `head` at the start, then a hole (zeros on disk cost nothing) up to `size` bytes. */
function sparse(file: string, head: string, size: number): void {
  fs.writeFileSync(file, head);
  fs.truncateSync(file, size);
}

/**
 * Tool I/O in memory bounded by the output cap: `read` reads only the part it returns (and counts
 * the rest of the lines by streaming), `grep` stops reading ripgrep at the cap and kills it, and
 * `http_request` stops downloading the body at the cap — with files and bodies far larger than memory
 * would allow to load whole.
 */
describe('bounded tool I/O', function () {
  this.timeout(60_000);
  let h: Harness;
  afterEach(() => h.cleanup());

  describe('read', () => {
    it('gives exactly what reading the whole file gave, for text around and past the cap', async () => {
      const cap = { maxBytes: 1000, maxLines: 40 };
      h = makeHarness({ outputCap: cap });
      const files: Record<string, string> = {
        empty: '',
        small: 'one\ntwo\n',
        exactlyCap: 'x'.repeat(999) + '\n',
        capPlusOne: 'x'.repeat(1001),
        manyLines: Array.from({ length: 500 }, (_, i) => `line ${i}`).join('\n'),
        longLines: Array.from({ length: 30 }, (_, i) => `${i} ${'y'.repeat(300)}`).join('\n'),
        // Multi-byte characters cut at the cap and at the part read: never shown as U+FFFD.
        multiByte: '€'.repeat(2000),
        emoji: `${'a'.repeat(997)}😀😀😀 tail`,
        mixed: Array.from({ length: 200 }, (_, i) => `${i}: naïve 日本語 ${'😀'.repeat(i % 5)}`).join('\n'),
        crlf: Array.from({ length: 100 }, (_, i) => `row ${i}`).join('\r\n'),
      };
      for (const [name, text] of Object.entries(files)) {
        h.file(`${name}.txt`, text);
        const { outcome } = await h.run('read', { path: `${name}.txt` }, { by: 'policy' });
        const expected = capText(text, cap, 'read a smaller file or use grep to find the lines you need');
        assert.deepEqual(outcome, { status: 'ok', output: expected.text, truncated: expected.truncated }, name);
        assert.doesNotMatch(output(outcome), /\uFFFD/, name);
      }
    });

    it('a 600 MB file: the first lines and a marker counting all of them, never the whole file in memory', async () => {
      h = makeHarness();
      const head = Array.from({ length: 3000 }, (_, i) => `line ${i} of the log`).join('\n') + '\n';
      sparse(path.join(h.root, 'huge.log'), head, 600 * MB);
      const { outcome } = await h.run('read', { path: 'huge.log' }, { by: 'policy' });
      assert.equal(outcome.status, 'ok', output(outcome));
      assert.equal(outcome.status === 'ok' && outcome.truncated, true);
      const text = output(outcome);
      assert.ok(text.startsWith('line 0 of the log\nline 1 of the log\n'));
      assert.match(text, new RegExp(`\\[output truncated: showing 2000 of 3001 lines, \\d+ of ${600 * MB} bytes; read a smaller file`));
    });

    it('a 600 MB file of zeros is reported as binary with its size', async () => {
      h = makeHarness();
      sparse(path.join(h.root, 'disk.img'), '', 600 * MB);
      const { outcome } = await h.run('read', { path: 'disk.img' }, { by: 'policy' });
      assert.deepEqual(outcome, { status: 'ok', output: `disk.img is a binary file (${600 * MB} bytes); its content is not shown.`, truncated: false });
    });

    it('a named pipe is refused at once instead of waiting for a writer (also when it replaced a file after the check)', async () => {
      h = makeHarness();
      const fifo = path.join(h.root, 'pipe');
      spawnSync('mkfifo', [fifo]);
      const { outcome } = await h.run('read', { path: 'pipe' }, { by: 'policy' });
      assert.equal(outcome.status, 'blocked');
      // The reader itself, as after a swap between the sandbox's check and the open: no wait for a writer.
      await assert.rejects(readBounded(fifo, { maxBytes: 100, maxLines: 10 }, undefined, 'hint'), /not a regular file/);
    });

    it('UTF-16 text announced by its byte-order mark is read as text; asked for, it is decoded without one', async () => {
      h = makeHarness({ outputCap: { maxBytes: 500, maxLines: 2000 } });
      const text = Array.from({ length: 100 }, (_, i) => `zeile ${i} ü`).join('\n');
      fs.writeFileSync(path.join(h.root, 'bom.txt'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
      fs.writeFileSync(path.join(h.root, 'plain16.txt'), Buffer.from(text, 'utf16le'));
      const bom = output((await h.run('read', { path: 'bom.txt' }, { by: 'policy' })).outcome);
      assert.ok(bom.startsWith('\uFEFFzeile 0 ü\nzeile 1 ü'), bom.slice(0, 40));
      assert.match(bom, /showing \d+ of 100 lines/);
      assert.match(output((await h.run('read', { path: 'plain16.txt' }, { by: 'policy' })).outcome), /binary file/);
      const asked = output((await h.run('read', { path: 'plain16.txt', encoding: 'utf16le' }, { by: 'policy' })).outcome);
      assert.ok(asked.startsWith('zeile 0 ü\n'));
      assert.match(asked, /showing \d+ of 100 lines, \d+ of 2[0-9]{3} bytes/);
    });

    it('reading a 200 MB file raises the peak memory of the process by a few MB, not the file size', () => {
      h = makeHarness();
      // Text for well past the 8 KiB that binary detection looks at, then a hole.
      sparse(path.join(h.root, 'big.log'), `first line\nsecond line\n${'more text\n'.repeat(10_000)}`, 200 * MB);
      const probe = path.join(__dirname, 'support', 'readPeakProbe.ts');
      const r = spawnSync(process.execPath, ['--expose-gc', '-r', 'tsx/cjs', probe, h.root, 'big.log'], { encoding: 'utf8', cwd: path.join(__dirname, '..', '..', '..') });
      assert.equal(r.status, 0, `${r.error?.message ?? ''} ${r.stderr}`);
      const got = JSON.parse(r.stdout) as { risenKiB: number; outcome: { status: string; truncated: boolean; head: string; tail: string } };
      assert.equal(got.outcome.status, 'ok');
      assert.ok(got.outcome.head.startsWith('first line\nsecond line\n'));
      assert.match(got.outcome.tail, new RegExp(`of ${200 * MB} bytes; read a smaller file`));
      // The whole file would be 200 MB of buffer plus its string; the streamed read stays within its 1 MiB buffer and the cap.
      assert.ok(got.risenKiB < 20 * 1024, `peak rose by ${Math.round(got.risenKiB / 1024)} MB while reading 200 MB`);
    });
  });

  describe('grep', () => {
    it('stops reading ripgrep at the cap and kills it, even when rg would never finish', async () => {
      h = makeHarness();
      const file = h.file('seed.txt', 'x\n');
      // rg's preprocessor `yes FILE` makes the file's content endless: only killing rg ends this search.
      const result = await runRipgrep('rg', ['--no-messages', '--pre', 'yes', 'seed', file], h.root, 10_000, new AbortController().signal);
      assert.ok(result.ok, result.ok ? '' : result.error);
      assert.equal(result.overflowed, true);
      assert.ok(result.stdout.length <= 10_000);
      assert.ok(result.stdout.startsWith(`${file}\n${file}\n`));
    });

    it('a search with far more matches than the cap returns the cap and says so', async () => {
      h = makeHarness({ outputCap: { maxBytes: 5_000, maxLines: 2_000 } });
      h.file('many.txt', 'needle here\n'.repeat(200_000));
      const { outcome } = await h.run('grep', { pattern: 'needle', path: 'many.txt' }, { by: 'policy' });
      assert.equal(outcome.status === 'ok' && outcome.truncated, true);
      assert.ok(Buffer.byteLength(output(outcome).replace(/\n\[output truncated.*\]$/s, '')) <= 5_000);
      assert.match(output(outcome), /\[output truncated: showing \d+ of \d+ lines/);
    });
  });

  describe('http_request', () => {
    let server: http.Server;
    let base: string;
    const served = { bytes: 0, closedEarly: false };
    beforeEach(async () => {
      served.bytes = 0;
      served.closedEarly = false;
      server = http.createServer((req, res) => {
        const chunk = Buffer.from(`${'data '.repeat(2000)}\n`);
        res.on('close', () => (served.closedEarly = !res.writableFinished));
        if (req.url === '/sized') res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(50 * MB) });
        else res.writeHead(200, { 'content-type': 'text/plain' });
        // An endless (or 50 MB) body, written as fast as the client reads it.
        const pump = () => {
          while (!res.destroyed && served.bytes < 50 * MB) {
            served.bytes += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          if (!res.destroyed && req.url === '/sized') res.end();
        };
        pump();
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterEach(() => new Promise<void>((r) => server.close(() => r())));

    it('stops downloading an endless body at the cap, closes the connection and says it truncated', async () => {
      h = makeHarness({ outputCap: { maxBytes: 20_000, maxLines: 2_000 } });
      const { outcome } = await h.run('http_request', { url: `${base}/endless`, timeout: 20 });
      assert.equal(outcome.status, 'ok', output(outcome));
      assert.equal(outcome.status === 'ok' && outcome.truncated, true);
      assert.match(output(outcome), /\[response body truncated: only its first 20000 bytes were downloaded; request a smaller resource or a range\]$/);
      assert.ok(await eventually(() => served.closedEarly), 'the client hung up');
      assert.ok(served.bytes < 50 * MB, `the server wrote ${served.bytes} bytes before the client hung up`);
    });

    it('names the announced length of a body it did not download', async () => {
      h = makeHarness({ outputCap: { maxBytes: 20_000, maxLines: 2_000 } });
      const { outcome } = await h.run('http_request', { url: `${base}/sized` });
      assert.match(output(outcome), new RegExp(`only its first 20000 bytes of ${50 * MB} were downloaded`));
    });
  });
});
