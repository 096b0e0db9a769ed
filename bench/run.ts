// `npm run bench`: Wharf and the reference registry (distribution 2.8) side by side, then Wharf's trust
// API and notary-server 0.7, then what authentication costs (Wharf with auth on vs off), then what the enforced
// content trust policy costs; one run. BENCH_QUICK=1 for a smoke run; BENCH_ONLY=trust, =registry, =auth or =policy
// for one section; BENCH_SUBJECT=reference puts a second reference registry in Wharf's column (for developing the
// bench itself); BENCH_WHARF_USER/BENCH_WHARF_PASSWORD to log in as someone else than the owner the bench gives
// the Wharf it starts.
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { authorize, type Credentials } from './auth.ts';
import { authPhase } from './auth-cost.ts';
import { IntegrityError } from './http.ts';
import { policyPhase } from './policy.ts';
import { blobPhase, manifestPhase, REPOS, tagPhase } from './phases.ts';
import { benchPlan, type BenchPlan } from './plan.ts';
import { Report, writeReport } from './report.ts';
import { startReferenceServer, startWharfServer, type BenchServer } from './servers.ts';
import { trustPhase } from './trust.ts';
import { trustPlan } from './trust-plan.ts';

/** results/latest.md for a full run; results/latest-<section>.md for BENCH_ONLY, so it keeps the full table. */
const resultsPath = (only: string | undefined) => join(import.meta.dirname, 'results', only ? `latest-${only}.md` : 'latest.md');

async function startServers(isDevSubject: boolean): Promise<BenchServer[]> {
  const started = await Promise.allSettled([
    isDevSubject ? startReferenceServer('wharf') : startWharfServer(),
    startReferenceServer('reference'),
  ]);
  const servers = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failure = started.find((s) => s.status === 'rejected');
  if (failure) {
    await Promise.all(servers.map((s) => s.stop()));
    throw failure.reason;
  }
  return servers;
}

function credentials(): Credentials | undefined {
  const { BENCH_WHARF_USER: username, BENCH_WHARF_PASSWORD: password } = process.env;
  return username && password ? { username, password } : undefined;
}

/** Titles of single-section runs without the registry section. */
const TITLES: Record<string, string> = {
  trust: 'Wharf vs reference trust server (BENCH_ONLY=trust)',
  auth: 'Wharf: authentication cost (BENCH_ONLY=auth)',
  policy: 'Wharf: content trust enforcement cost (BENCH_ONLY=policy)',
};

const load = () => loadavg().map((n) => n.toFixed(2)).join(' ');

function header(plan: BenchPlan, servers: BenchServer[], isDevSubject: boolean, seconds: number, loadBefore: string): string[] {
  const [subject, reference] = servers as [BenchServer | undefined, BenchServer | undefined];
  const lines = [
    `# ${subject ? 'Wharf vs reference registry' : TITLES[process.env.BENCH_ONLY ?? ''] ?? 'Wharf'}${plan.isQuick ? ' (BENCH_QUICK smoke run)' : ''}`,
    '',
    `${new Date().toISOString()} · node ${process.version} · ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'} · ` +
      `${Math.round(totalmem() / 2 ** 30)} GiB RAM · ${seconds.toFixed(0)} s · load average before ${loadBefore}, after ${load()}`,
  ];
  if (!subject || !reference) return lines;
  return [
    ...lines,
    '',
    `Both on 127.0.0.1 over TLS, filesystem storage in a temp dir, access logs off. ` +
      `wharf column: ${isDevSubject ? '**a second distribution 2.8 (BENCH_SUBJECT=reference), not Wharf**' : 'bin/wharf.mjs serve --log-level warn, SQLite metadata'}` +
      ` (${subject.url}); reference: /usr/bin/docker-registry ${reference.label} (${reference.url}). ` +
      'Client (undici, wrk) shares the same CPUs as the servers; MiB/s = blob bytes / wall time; downloads hash every byte.',
  ];
}

/** Which sections run: BENCH_ONLY=trust, =registry, =auth or =policy picks one, unset runs all. */
function sections(only: string | undefined): { isRegistry: boolean; isTrust: boolean; isAuth: boolean; isPolicy: boolean } {
  if (only === undefined || only === '') return { isRegistry: true, isTrust: true, isAuth: true, isPolicy: true };
  if (!['trust', 'registry', 'auth', 'policy'].includes(only)) throw new Error(`BENCH_ONLY must be "trust", "registry", "auth" or "policy", not "${only}"`);
  return { isRegistry: only === 'registry', isTrust: only === 'trust', isAuth: only === 'auth', isPolicy: only === 'policy' };
}

async function main(): Promise<number> {
  const plan = benchPlan(process.env);
  const { isRegistry, isTrust, isAuth, isPolicy } = sections(process.env.BENCH_ONLY);
  const isDevSubject = process.env.BENCH_SUBJECT === 'reference';
  const t0 = performance.now();
  const loadBefore = load();
  const servers = isRegistry ? await startServers(isDevSubject) : [];
  let stopping: Promise<unknown> | undefined;
  const stopAll = () => (stopping ??= Promise.all(servers.map((s) => s.stop())));
  process.once('SIGINT', () => void stopAll().finally(() => process.exit(130)));
  const report = new Report();
  try {
    for (const server of servers) {
      await authorize(server, Object.values(REPOS), server.role === 'wharf' ? credentials() ?? server.credentials : undefined).catch((err: Error) => {
        report.notes.push(`${server.role}: authentication failed, every figure will fail: ${err.message}`);
      });
    }
    if (isRegistry) {
      await blobPhase(servers, plan, report);
      await manifestPhase(servers, plan, report);
      await tagPhase(servers, plan, report);
      const rss = report.figure('peak RSS (VmHWM) at the end', 'MiB', true);
      for (const server of servers) rss.values[server.role] = server.peakRssKiB() / 1024;
    }
    if (isTrust) await trustPhase(trustPlan(process.env), report);
    if (isAuth) await authPhase(plan, report);
    if (isPolicy) await policyPhase(plan, report);
    const markdown = report.render(header(plan, servers, isDevSubject, (performance.now() - t0) / 1000, loadBefore));
    process.stdout.write(`\n${markdown}`);
    const results = resultsPath(process.env.BENCH_ONLY || undefined);
    await writeReport(results, markdown);
    console.log(`\nwritten to ${results}`);
    return report.errors().length > 0 ? 1 : 0;
  } catch (err) {
    for (const server of servers) {
      if (!(err instanceof IntegrityError)) console.error(`--- ${server.role} output ---\n${server.output().slice(-4000)}`);
    }
    throw err;
  } finally {
    await stopAll();
  }
}

process.exitCode = await main().catch((err: unknown) => {
  console.error(err instanceof IntegrityError ? `bench aborted: ${err.message}` : err);
  return 1;
});
