import { Agent, request } from 'node:https';
import { performance } from 'node:perf_hooks';
import { StepError } from './http.ts';
import type { BenchServer } from './servers.ts';

export interface LoadOptions {
  method: 'GET' | 'HEAD';
  path: string;
  headers?: Record<string, string>;
  connections: number;
  seconds: number;
}

interface Answer {
  status: number;
  body: string;
  isReused: boolean;
}

function once(agent: Agent, server: BenchServer, opts: LoadOptions, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(`${server.url}${opts.path}`, { method: opts.method, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), isReused: req.reusedSocket }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * Closed-loop load from this process over node:https keep-alive sockets (`connections` of them), each
 * sending the next request as soon as the last answered, for `seconds`. Used for HEAD, which wrk 4.1
 * cannot measure (its parser waits for the Content-Length bytes a HEAD response never sends) and undici
 * would not keep alive (it closes the socket after every HEAD). Any non-200, or sockets not being
 * reused, fails the run.
 */
export async function httpsRate(server: BenchServer, opts: LoadOptions): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: opts.connections, ca: server.caPem });
  const headers = { ...server.auth, ...opts.headers };
  let completed = 0;
  let fresh = 0;
  let failure: StepError | undefined;
  const t0 = performance.now();
  const deadline = t0 + opts.seconds * 1000;
  try {
    const lane = async () => {
      while (failure === undefined && performance.now() < deadline) {
        const answer = await once(agent, server, opts, headers);
        if (answer.status !== 200) failure ??= new StepError(`${opts.method} ${opts.path} under load`, answer.status, answer.body);
        if (!answer.isReused) fresh++;
        completed++;
      }
    };
    await Promise.all(Array.from({ length: opts.connections }, lane));
    if (failure) throw failure;
    if (fresh > opts.connections * 2) {
      throw new Error(`${opts.method} ${opts.path}: ${fresh} of ${completed} requests needed a new connection (keep-alive not kept)`);
    }
    return completed / ((performance.now() - t0) / 1000);
  } finally {
    agent.destroy();
  }
}
