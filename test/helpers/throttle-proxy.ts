import { createConnection, createServer, type Socket } from 'node:net';
import { freePort } from './net.ts';

export interface ThrottleProxy {
  /** 127.0.0.1:<port>: the upstream seen through the proxy (TLS passes through untouched). */
  readonly host: string;
  close(): Promise<void>;
}

/**
 * A TCP proxy on 127.0.0.1 in front of `upstream` (host:port) that passes what the upstream sends at
 * most `bytesPerSecond`, so that a transfer takes long enough to be interrupted at a chosen point.
 * Certificates for 127.0.0.1 stay valid (names are checked, not ports).
 */
export async function startThrottleProxy(upstream: string, bytesPerSecond: number): Promise<ThrottleProxy> {
  const [upstreamHost, upstreamPort] = [upstream.slice(0, upstream.lastIndexOf(':')), Number(upstream.slice(upstream.lastIndexOf(':') + 1))];
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const remote = createConnection({ host: upstreamHost, port: upstreamPort });
    for (const s of [client, remote]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        remote.destroy();
      });
    }
    client.pipe(remote);
    remote.on('data', (chunk: Buffer) => {
      remote.pause();
      client.write(chunk);
      setTimeout(() => remote.resume(), (chunk.length / bytesPerSecond) * 1000);
    });
    remote.on('end', () => client.end());
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    host: `127.0.0.1:${port}`,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
