import type { Readable } from 'node:stream';
import { request, type Dispatcher } from 'undici';
import type { BenchServer } from './servers.ts';

/** A server answered a bench step with an unexpected status; carries what it said. */
export class StepError extends Error {
  override readonly name = 'StepError';
  constructor(
    readonly step: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(`${step}: HTTP ${status} ${body.slice(0, 500)}`);
  }
}

/** Downloaded bytes did not match their digest or size: the bench must stop. */
export class IntegrityError extends Error {
  override readonly name = 'IntegrityError';
}

export interface CallOptions {
  method?: Dispatcher.HttpMethod;
  headers?: Record<string, string>;
  body?: Buffer | string | Readable;
  dispatcher?: Dispatcher;
  /** Statuses that count as success; default [200]. */
  expect?: number[];
  /** Step name for errors. */
  step: string;
}

export interface CallResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** One request with the server's auth headers; reads the whole (small) response; throws StepError on a bad status. */
export async function call(server: BenchServer, pathOrUrl: string, opts: CallOptions): Promise<CallResult> {
  const res = await request(new URL(pathOrUrl, server.url), {
    method: opts.method ?? 'GET',
    headers: { ...server.auth, ...opts.headers },
    body: opts.body,
    dispatcher: opts.dispatcher ?? server.dispatcher,
  });
  const body = Buffer.from(await res.body.arrayBuffer());
  if (!(opts.expect ?? [200]).includes(res.statusCode)) {
    throw new StepError(`${opts.step} (${opts.method ?? 'GET'} ${pathOrUrl})`, res.statusCode, body.toString('utf8'));
  }
  return { status: res.statusCode, headers: res.headers, body };
}

/** The single value of a response header, or undefined. */
export function header(result: { headers: CallResult['headers'] }, name: string): string | undefined {
  const value = result.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** The upload Location of a 202, resolved against the server URL (servers may answer relative or absolute). */
export function locationOf(server: BenchServer, result: CallResult, step: string): URL {
  const location = header(result, 'location');
  if (!location) throw new StepError(`${step}: no Location header`, result.status, '');
  return new URL(location, server.url);
}

/** `url` with `digest=` appended to its query (keeping any state the server put there). */
export function withDigest(url: URL, digest: string): URL {
  const out = new URL(url);
  out.searchParams.set('digest', digest);
  return out;
}

/** Runs `worker(i)` for i in [0, count) with at most `concurrency` in flight; rejects on the first failure. */
export async function runPool(count: number, concurrency: number, worker: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const lanes = Array.from({ length: Math.min(concurrency, count) }, async () => {
    while (!failed && next < count) {
      const i = next++;
      try {
        await worker(i);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  });
  await Promise.all(lanes);
}
