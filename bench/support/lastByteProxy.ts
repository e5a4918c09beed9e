import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

/**
 * A TCP pass-through in front of a server that notes when it forwarded the server's latest bytes to the
 * client (`performance.now()` ms). After a streamed response is complete, `lastByteAt` is the moment its
 * last byte went out: the start of everything the client does after the wire is done. Binds 127.0.0.1.
 */
export interface LastByteProxy {
  readonly url: string;
  readonly lastByteAt: number;
  close(): Promise<void>;
}

export async function startLastByteProxy(upstreamPort: number): Promise<LastByteProxy> {
  let lastByteAt = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(upstreamPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.setNoDelay(true);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (chunk) => upstream.write(chunk));
    upstream.on('data', (chunk) => {
      client.write(chunk);
      lastByteAt = performance.now();
    });
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get lastByteAt() {
      return lastByteAt;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
