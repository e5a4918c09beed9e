import * as dns from 'node:dns';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { forbiddenAddressReason } from './httpPolicy';

/**
 * The only way out of a sandbox's empty network namespace: a Unix socket bound into the sandbox, served
 * here on the host. `proxy` is an HTTP proxy (CONNECT for TLS, absolute URLs for plain HTTP) that lets
 * through only the hosts of `settings.sandbox.network_allow`; `forward` connects every connection to one
 * fixed host and port (the local side of `ssh`). Names are resolved here, once, and the connection goes to
 * the address that was checked, so a name cannot be re-pointed between the check and the connect.
 */
export type GateSpec = { readonly kind: 'proxy'; readonly allow: readonly string[] } | { readonly kind: 'forward'; readonly host: string; readonly port: number };

export interface NetworkGate {
  /** The Unix socket on the host (in a private 0700 folder). */
  readonly socketPath: string;
  close(): Promise<void>;
}

type Lookup = (host: string) => Promise<{ address: string; family: number }>;
const defaultLookup: Lookup = (host) => dns.promises.lookup(host, { verbatim: true });

/** Whether `host:port` is admitted by one of the patterns `example.com`, `*.example.com` (subdomains), `host:port`, `[::1]:8080`. */
export function networkAllows(patterns: readonly string[], host: string, port: number): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');
  return patterns.some((raw) => {
    const p = splitPattern(raw.trim().toLowerCase());
    if (p === undefined || (p.port !== undefined && p.port !== port)) return false;
    if (p.host.startsWith('*.')) return h.endsWith(p.host.slice(1)) && h.length > p.host.length - 1;
    return h === p.host;
  });
}

/** `host`, `host:port`, `[v6]`, `[v6]:port` or a bare IPv6 address; undefined for anything else. */
function splitPattern(p: string): { host: string; port?: number } | undefined {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(p);
  if (bracketed?.[1] !== undefined) return bracketed[2] === undefined ? { host: bracketed[1] } : { host: bracketed[1], port: Number(bracketed[2]) };
  const colons = (p.match(/:/g) ?? []).length;
  if (colons > 1) return { host: p };
  if (colons === 0) return p.length > 0 ? { host: p.replace(/\.$/, '') } : undefined;
  const [host, port] = p.split(':');
  return host !== undefined && port !== undefined && /^\d+$/.test(port) && host.length > 0 ? { host: host.replace(/\.$/, ''), port: Number(port) } : undefined;
}

export async function startNetworkGate(spec: GateSpec, lookup: Lookup = defaultLookup): Promise<NetworkGate> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bw-net-'));
  fs.chmodSync(dir, 0o700);
  const socketPath = path.join(dir, 'gate.sock');
  const sockets = new Set<net.Socket>();
  const track = (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
  };
  // Half-open connections stay open: a client that has sent everything (EOF) still gets the answer.
  const server = spec.kind === 'forward' ? net.createServer({ allowHalfOpen: true }, (client) => forward(client, spec.host, spec.port, lookup, track)) : proxyServer(spec.allow, lookup, track);
  server.on('connection', track);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  return {
    socketPath,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => {
          fs.rmSync(dir, { recursive: true, force: true });
          resolve();
        });
      }),
  };
}

/** Resolves `host` and refuses cloud metadata and link-local addresses, whatever the name. */
async function resolveChecked(host: string, lookup: Lookup): Promise<{ address: string } | { refused: string }> {
  const bare = host.replace(/^\[|\]$/g, '');
  let address: string;
  try {
    address = net.isIP(bare) ? bare : (await lookup(bare)).address;
  } catch (err) {
    return { refused: `cannot resolve ${host}: ${err instanceof Error ? err.message : String(err)}` };
  }
  const forbidden = forbiddenAddressReason(address);
  return forbidden === undefined ? { address } : { refused: forbidden };
}

function forward(client: net.Socket, host: string, port: number, lookup: Lookup, track: (s: net.Socket) => void): void {
  client.pause();
  void resolveChecked(host, lookup).then((r) => {
    if ('refused' in r) {
      client.destroy();
      return;
    }
    const upstream = net.connect({ port, host: r.address, allowHalfOpen: true }, () => {
      // Ends travel through the pipes (each side closes once both directions have ended); errors tear both down.
      client.pipe(upstream).pipe(client);
      client.resume();
    });
    track(upstream);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
}

function proxyServer(allow: readonly string[], lookup: Lookup, track: (s: net.Socket) => void): http.Server {
  const refuse = (what: string) => `Breakwater's sandbox refused ${what}: only hosts in settings.sandbox.network_allow are reachable (${allow.join(', ') || 'none'}).\n`;
  const server = http.createServer((req, res) => {
    let url: URL;
    try {
      url = new URL(req.url ?? '');
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('Breakwater sandbox proxy: send an absolute http:// URL, or CONNECT for https.\n');
      return;
    }
    const port = Number(url.port || 80);
    if (url.protocol !== 'http:' || !networkAllows(allow, url.hostname, port)) {
      res.writeHead(403, { 'content-type': 'text/plain' }).end(refuse(`${url.host}`));
      return;
    }
    void resolveChecked(url.hostname, lookup).then((r) => {
      if ('refused' in r) return void res.writeHead(403, { 'content-type': 'text/plain' }).end(refuse(`${url.host} (${r.refused})`));
      const headers = { ...req.headers };
      delete headers['proxy-connection'];
      delete headers['proxy-authorization'];
      const upstream = http.request({ host: r.address, port, method: req.method, path: `${url.pathname}${url.search}`, headers, setHost: false }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      upstream.on('error', (e) => (res.headersSent ? res.destroy() : res.writeHead(502, { 'content-type': 'text/plain' }).end(`Breakwater sandbox proxy: ${e.message}\n`)));
      req.pipe(upstream);
    });
  });
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    track(client);
    const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(req.url ?? '');
    const [, target, port] = m ?? [];
    if (target === undefined || port === undefined || !networkAllows(allow, target, Number(port))) {
      client.end(`HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\n\r\n${refuse(req.url ?? 'a malformed CONNECT')}`);
      return;
    }
    void resolveChecked(target, lookup).then((r) => {
      if ('refused' in r) return void client.end(`HTTP/1.1 403 Forbidden\r\n\r\n${refuse(`${req.url} (${r.refused})`)}`);
      let connected = false;
      const upstream = net.connect({ port: Number(port), host: r.address, allowHalfOpen: true }, () => {
        connected = true;
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        if (head.length > 0) upstream.write(head);
        client.pipe(upstream).pipe(client);
      });
      track(upstream);
      upstream.on('error', () => (connected ? client.destroy() : client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n')));
      client.on('error', () => upstream.destroy());
    });
  });
  return server;
}
