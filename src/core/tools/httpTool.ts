import * as http from 'node:http';
import * as https from 'node:https';
import { z } from 'zod';
import { judgeUrl, type HttpPolicyOptions } from '../sandbox/httpPolicy';
import { BoundedBuffer, capText, looksBinary } from '../sandbox/outputCap';
import { defineTool, errorOutcome, type ToolContext } from './toolDefinition';
import type { ToolOutcome } from './types';

const MAX_REDIRECTS = 5;

function policyOptions(ctx: ToolContext): HttpPolicyOptions {
  return { allowedDomains: ctx.policy.httpAllowedDomains, autoApproveDomains: ctx.autoApproveDomains, allowMetadataAddresses: ctx.allowMetadataAddresses };
}

interface RawResponse {
  readonly status: number;
  readonly statusText: string;
  readonly headers: http.IncomingHttpHeaders;
  /** The body's first `limit` bytes. */
  readonly body: Buffer;
  /** The body went on past `limit`: the connection was closed there and the rest never downloaded. */
  readonly overflowed: boolean;
}

/**
 * One request pinned to the address that was checked, so a second DNS answer cannot redirect it.
 * Reads at most `limit` bytes of the body, then closes the connection: an endless or huge body costs
 * the cap, not memory.
 */
function send(url: URL, address: string, family: number, method: string, headers: Record<string, string>, body: string | undefined, limit: number, signal: AbortSignal): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const lib = url.protocol === 'https:' ? https : http;
    const req = lib.request(
      url,
      {
        method,
        headers: { 'user-agent': 'Breakwater-http_request', ...headers },
        signal,
        lookup: (_host: string, opts: { all?: boolean }, cb: (...a: unknown[]) => void) => (opts.all ? cb(null, [{ address, family }]) : cb(null, address, family)),
      } as http.RequestOptions,
      (res) => {
        const buf = new BoundedBuffer(limit);
        res.on('data', (c: Buffer) => {
          buf.push(c);
          if (buf.overflowed) res.destroy();
        });
        const done = () => resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', headers: res.headers, body: buf.toBuffer(), overflowed: buf.overflowed });
        res.on('end', done);
        res.on('close', done);
        res.on('error', (e) => (buf.overflowed ? done() : reject(e)));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export const httpTool = defineTool({
  name: 'http_request',
  description: 'Make an HTTP(S) request and return status, headers and body (capped). The user approves requests to new domains.',
  schema: z.strictObject({
    url: z.string().min(1).describe('http:// or https:// URL.'),
    method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']).optional().describe('Defaults to GET.'),
    headers: z.record(z.string(), z.string()).optional().describe('Request headers.'),
    body: z.string().optional().describe('Request body.'),
    timeout: z.number().positive().max(120).optional().describe('Seconds before giving up; defaults to 30, at most 120.'),
  }),
  readOnly: false,
  unverifiable: true,
  async judge(args, ctx) {
    const method = args.method ?? 'GET';
    const summary = `${method} ${args.url}`;
    const j = await judgeUrl(args.url, policyOptions(ctx));
    return {
      restriction: j.decision.kind === 'ask' ? { kind: 'allow', reason: j.decision.reason } : j.decision,
      autoApproved: j.decision.kind === 'allow',
      does: `sends a ${method} request to ${j.host}`,
      summary,
      approval: {
        tool: 'http_request',
        fields: [
          { label: 'Request', value: `${method} ${args.url}` },
          { label: 'Host', value: j.address !== undefined ? `${j.host} (${j.address})` : j.host },
        ],
        ...(j.grantKey !== undefined ? { alwaysAllow: `requests to ${j.host}` } : {}),
      },
      grantKey: j.grantKey,
    };
  },
  async run(args, ctx, _judgement, signal): Promise<ToolOutcome> {
    const timeoutMs = (args.timeout ?? 30) * 1000;
    const combined = AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]);
    let url = args.url;
    let method = args.method ?? 'GET';
    let body = args.body;
    const first = new URL(args.url);
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const j = await judgeUrl(url, policyOptions(ctx));
      if (j.decision.kind === 'block' || j.url === undefined || j.address === undefined) {
        return { status: 'blocked', error: `${hop > 0 ? `Redirect to ${url} refused` : 'Refused'}: ${j.decision.reason}.` };
      }
      // The approval was for one origin: another host, port or scheme needs its own — unless the host
      // is auto-approved (a user-level setting) and the port is its scheme's default.
      const sameOrigin = originOf(j.url) === originOf(first);
      if (hop > 0 && !sameOrigin && !(j.decision.kind === 'allow' && j.url.port === '')) {
        return { status: 'ok', output: `The server redirected to ${url}, another origin (host, port or scheme) than the one approved; it was not followed because that needs its own approval. Call http_request on it if you need it.`, truncated: false };
      }
      let res: RawResponse;
      try {
        // Headers the model set (a key, a cookie) go only to the origin they were approved for.
        res = await send(j.url, j.address, j.family ?? 4, method, sameOrigin ? (args.headers ?? {}) : {}, body, ctx.cap.maxBytes, combined);
      } catch (err) {
        if (combined.aborted) return errorOutcome(signal.aborted ? 'Cancelled.' : `Timed out after ${timeoutMs / 1000} s.`);
        return errorOutcome(`Request failed: ${err instanceof Error ? err.message : String(err)}`);
      }
      const location = res.headers.location;
      if ([301, 302, 303, 307, 308].includes(res.status) && typeof location === 'string') {
        url = new URL(location, j.url).toString();
        if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === 'POST')) {
          method = 'GET';
          body = undefined;
        }
        continue;
      }
      const head = [`HTTP ${res.status} ${res.statusText}`, ...['content-type', 'content-length', 'location'].filter((h) => res.headers[h] !== undefined).map((h) => `${h}: ${String(res.headers[h])}`)].join('\n');
      const length = res.headers['content-length'];
      const text = looksBinary(res.body) ? `[binary body, ${res.overflowed ? `more than ${res.body.length}` : res.body.length} bytes, not shown]` : decodeBody(res);
      const cut = res.overflowed ? `\n[response body truncated: only its first ${res.body.length} bytes${length !== undefined ? ` of ${length}` : ''} were downloaded; request a smaller resource or a range]` : '';
      const capped = capText(`${head}\n\n${text}`, ctx.cap, 'request a smaller resource');
      const outcome = { output: capped.text + cut, truncated: capped.truncated || res.overflowed };
      // 4xx is an answer for the model; 5xx says the service is failing and counts against the breaker.
      return res.status >= 500 ? errorOutcome(`HTTP ${res.status} ${res.statusText}\n${outcome.output}`) : { status: 'ok', ...outcome };
    }
    return errorOutcome(`Too many redirects (more than ${MAX_REDIRECTS}).`);
  },
});

/** The body as text; a character cut where the download stopped is left out rather than shown as U+FFFD. */
function decodeBody(res: RawResponse): string {
  const text = res.body.toString('utf8');
  return res.overflowed ? text.replace(/\uFFFD$/, '') : text;
}

/** scheme://host:port with the port made explicit, so `http://x` and `http://x:80` are one origin. */
function originOf(url: URL): string {
  const port = url.port !== '' ? url.port : url.protocol === 'https:' ? '443' : '80';
  return `${url.protocol}//${url.hostname.toLowerCase()}:${port}`;
}
