import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { BenchServer } from './servers.ts';

export interface WrkOptions {
  method: 'GET' | 'HEAD';
  path: string;
  headers?: Record<string, string>;
  connections: number;
  threads: number;
  seconds: number;
}

/** What wrk's `done` hook reports (see SCRIPT). */
export interface WrkSummary {
  requests: number;
  durationUs: number;
  bytes: number;
  non2xx: number;
  connectErrors: number;
  readErrors: number;
  writeErrors: number;
  timeouts: number;
  p50Us: number;
  p99Us: number;
}

/** Lua for wrk: sets the method and prints one machine-readable summary line. */
function script(method: string): string {
  return `wrk.method = "${method}"
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK_SUMMARY %d %d %d %d %d %d %d %d %d %d\\n",
    summary.requests, summary.duration, summary.bytes, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
`;
}

/** Runs wrk (which does not verify certificates) against the server with its auth headers. */
export async function runWrk(server: BenchServer, opts: WrkOptions): Promise<WrkSummary> {
  const dir = await mkdtemp(join(tmpdir(), 'wharf-bench-wrk-'));
  try {
    const scriptPath = join(dir, 'bench.lua');
    await writeFile(scriptPath, script(opts.method));
    const headers = Object.entries({ ...server.auth, ...opts.headers }).flatMap(([k, v]) => ['-H', `${k}: ${v}`]);
    const args = [
      `-c${opts.connections}`, `-t${opts.threads}`, `-d${opts.seconds}s`, '--timeout', '10s',
      '-s', scriptPath, ...headers, `${server.url}${opts.path}`,
    ];
    const { stdout } = await promisify(execFile)('wrk', args, { timeout: (opts.seconds + 30) * 1000 });
    return parseSummary(stdout);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function parseSummary(stdout: string): WrkSummary {
  const line = /^WRK_SUMMARY (.*)$/m.exec(stdout);
  if (!line?.[1]) throw new Error(`wrk printed no summary:\n${stdout}`);
  const [requests, durationUs, bytes, non2xx, connectErrors, readErrors, writeErrors, timeouts, p50Us, p99Us] =
    line[1].split(' ').map(Number) as [number, number, number, number, number, number, number, number, number, number];
  return { requests, durationUs, bytes, non2xx, connectErrors, readErrors, writeErrors, timeouts, p50Us, p99Us };
}

/** Requests per second, or an error if any response was non-2xx/3xx or any socket failed. */
export async function wrkRate(server: BenchServer, opts: WrkOptions): Promise<number> {
  const s = await runWrk(server, opts);
  const failures = { non2xx: s.non2xx, connect: s.connectErrors, read: s.readErrors, write: s.writeErrors, timeout: s.timeouts };
  if (Object.values(failures).some((n) => n > 0) || s.requests === 0) {
    throw new Error(`wrk ${opts.method} ${opts.path}: ${s.requests} requests, failures ${JSON.stringify(failures)}`);
  }
  return s.requests / (s.durationUs / 1e6);
}
