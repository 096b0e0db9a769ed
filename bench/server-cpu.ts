import { readFileSync } from 'node:fs';
import { runWrk, type WrkOptions } from './wrk.ts';
import type { BenchServer } from './servers.ts';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** CPU time (user + system, every thread) the process has used so far, in µs. */
export function cpuTimeUs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which may hold spaces: state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / TICKS_PER_SECOND;
}

/**
 * wrk against the server: requests per second and the server's CPU per request in µs, which a
 * loaded machine disturbs far less than the rate. Throws if any request failed.
 */
export async function rateAndCpu(server: BenchServer, load: WrkOptions): Promise<{ rate: number; cpuUs: number }> {
  const before = cpuTimeUs(server.pid);
  const s = await runWrk(server, load);
  const used = cpuTimeUs(server.pid) - before;
  const failures = s.non2xx + s.connectErrors + s.readErrors + s.writeErrors + s.timeouts;
  if (failures > 0 || s.requests === 0) throw new Error(`wrk ${load.method} ${load.path}: ${s.requests} requests, ${failures} failures`);
  return { rate: s.requests / (s.durationUs / 1e6), cpuUs: used / s.requests };
}
