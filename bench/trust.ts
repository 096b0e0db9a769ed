// Trust figures: Wharf's Notary v1 API vs Debian's notary-server 0.7, each freshly started for this
// section: docker's first publish of a new GUN, single-target publishes, and metadata reads with wrk.
import { performance } from 'node:perf_hooks';
import { IntegrityError } from './http.ts';
import { createPostgresDatabase } from './databases.ts';
import { startNotaryServer } from './notary-server.ts';
import { formatNumber, type Figure, type Report } from './report.ts';
import { startWharfServer, type BenchServer } from './servers.ts';
import { addTarget, checkReads, initPublish, prepareCollections, tufPath, type Collection } from './trust-client.ts';
import { pairingLabel, type TrustPairing, type TrustPlan, type WharfStore } from './trust-plan.ts';
import { runWrk } from './wrk.ts';

/** What one server has published so far; later figures build on earlier ones. */
interface ServerState {
  server: BenchServer;
  /** Collections initialised by the init figure, once it succeeded. */
  initialised?: Collection[];
}

/** Wharf and notary-server for one pairing, with what each stores its metadata in. */
interface TrustServers {
  servers: BenchServer[];
  wharfStorage: string;
  notaryStorage: string;
}

/**
 * The trust API on (content trust policy `enabled`; its default, disabled, serves none) and
 * authentication off, as notary-server runs here (it has no built-in users; its token auth needs
 * an external issuer). With auth on, every trust request would also verify a Bearer token.
 */
const WHARF_TRUST_ENV = { WHARF_TRUST__POLICY: 'enabled', WHARF_AUTH__ENABLED: 'false' };

/** Wharf on `store` (a fresh database for PostgreSQL, dropped again when it stops). */
async function startWharfOn(store: WharfStore): Promise<BenchServer & { storage: string }> {
  if (store === 'sqlite') return { ...(await startWharfServer({ env: WHARF_TRUST_ENV })), storage: 'SQLite (WAL, synchronous=FULL: an fsync per commit)' };
  if (store === 'sqlite-normal') {
    const server = await startWharfServer({ env: { ...WHARF_TRUST_ENV, WHARF_SQLITE__SYNCHRONOUS: 'normal' } });
    return { ...server, storage: 'SQLite (WAL, synchronous=NORMAL: no fsync per commit)' };
  }
  const database = await createPostgresDatabase('wharf');
  try {
    const server = await startWharfServer({ metadata: database.url, env: WHARF_TRUST_ENV });
    return { ...server, storage: database.label, stop: () => server.stop().then(() => database.drop()) };
  } catch (err) {
    await database.drop();
    throw err;
  }
}

/** Starts Wharf and notary-server side by side (stopping whichever started if the other fails). */
async function startTrustServers(pairing: TrustPairing): Promise<TrustServers> {
  const started = await Promise.allSettled([startWharfOn(pairing.wharf), startNotaryServer(pairing.notary, pairing.notarySigner)]);
  const servers = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failure = started.find((s) => s.status === 'rejected');
  if (failure) {
    await Promise.all(servers.map((s) => s.stop()));
    throw failure.reason;
  }
  const [wharf, notary] = servers as [BenchServer & { storage: string }, BenchServer & { storage: string }];
  return { servers, wharfStorage: wharf.storage, notaryStorage: notary.storage };
}

/** Runs `fn` and records its value or its error (integrity errors abort the bench). */
async function measure(server: BenchServer, figure: Figure, fn: () => Promise<number>): Promise<boolean> {
  try {
    const value = await fn();
    figure.values[server.role] = value;
    console.error(`${figure.name} / ${server.role}: ${formatNumber(value)} ${figure.unit}`);
    return true;
  } catch (err) {
    if (err instanceof IntegrityError) throw err;
    const output = server.output();
    const crash = crashLine(output);
    const message = `${err instanceof Error ? err.message : String(err)}${crash ? ` (the server crashed: ${crash})` : ''}`;
    figure.errors[server.role] ??= message;
    console.error(`${figure.name} / ${server.role}: ERROR ${message.slice(0, 600)}`);
    console.error(`--- ${server.role} output ---\n${crashExcerpt(output)}`);
    return false;
  }
}

/** The reason line a Go runtime crash starts with. */
const GO_CRASH = /^(?:panic: |fatal error: ).*$/m;

/** A Go runtime crash's reason line, if the process printed one. */
const crashLine = (output: string) => GO_CRASH.exec(output)?.[0];

/** A Go crash's first lines (the reason and the failing goroutine), else the output's tail. */
function crashExcerpt(output: string): string {
  const crash = output.search(GO_CRASH);
  return crash >= 0 ? output.slice(crash, crash + 2500) : output.slice(-2500);
}

/** Operations per second of `fn` over `count` operations. */
async function rate(count: number, fn: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return count / ((performance.now() - t0) / 1000);
}

/** `lanes` clients at once, lane l working through its own items (l, l+lanes, …) in order. */
async function inLanes<T>(items: readonly T[], lanes: number, work: (item: T) => Promise<void>): Promise<void> {
  await Promise.all(Array.from({ length: lanes }, async (_, l) => {
    for (let i = l; i < items.length; i += lanes) await work(items[i]!);
  }));
}

/** Round-robin list of `count` picks from `cols` (adds spread over existing GUNs). */
const roundRobin = (cols: readonly Collection[], count: number) => Array.from({ length: count }, (_, i) => cols[i % cols.length]!);

/** Servers in turn order for the i-th figure: who goes first alternates, so drift in machine load hits both. */
const alternate = <T>(items: T[], i: number) => (i % 2 === 0 ? items : [...items].reverse());

/** GET <role>.json with wrk after checking one response; any non-2xx, socket error or short body fails it. */
async function readRate(server: BenchServer, c: Collection, role: 'timestamp' | 'snapshot' | 'targets', plan: TrustPlan): Promise<number> {
  const check = (await checkReads(server, c)).find((r) => r.role === role)!;
  const s = await runWrk(server, { method: 'GET', path: check.path, connections: plan.wrkConnections, threads: 2, seconds: plan.wrkSeconds });
  const failures = { non2xx: s.non2xx, connect: s.connectErrors, read: s.readErrors, write: s.writeErrors, timeout: s.timeouts };
  if (Object.values(failures).some((n) => n > 0) || s.requests === 0) {
    throw new Error(`wrk GET ${check.path}: ${s.requests} requests, failures ${JSON.stringify(failures)}`);
  }
  const perResponse = s.bytes / s.requests;
  if (perResponse < check.bytes.length || perResponse > check.bytes.length + 2048) {
    throw new IntegrityError(`${server.role}: wrk GET ${check.path} read ${perResponse.toFixed(0)} bytes per response, body is ${check.bytes.length}`);
  }
  return s.requests / (s.durationUs / 1e6);
}

/** The trust rows of the table: one group of rows per pairing, its two servers started and stopped for it. */
export async function trustPhase(plan: TrustPlan, report: Report): Promise<void> {
  for (const pairing of plan.pairings) await pairingPhase(pairing, plan, report);
  report.notes.push(`Rows starting "trust" compare a fresh Wharf (bin/wharf.mjs serve --log-level warn, trust.policy=enabled, auth.enabled=false as notary-server has no auth here; ` +
    `server keys sealed in its metadata store) ` +
    `with a fresh Debian notary-server (key_algorithm ecdsa; warn log), both over TLS on 127.0.0.1 and started for their group of rows only; ` +
    `the bracket names each one's metadata store; the notes below give each deployment. GUNs are <host:port>/bench/trust-…; root certificates and client keys are made before each ` +
    `timed loop; client signing is inside it. init = GET snapshot.key + GET timestamp.key + POST {root v1, targets v2}; ` +
    `add = POST {targets v+1 with one more target}; ${plan.warmup} untimed inits and adds per server first. ` +
    `Reads: one GUN's current metadata, checked (bytes, hashes, server signatures), then 1 s of untimed wrk per file, then the timed wrk.`);
}

async function pairingPhase(pairing: TrustPairing, plan: TrustPlan, report: Report): Promise<void> {
  const { servers, wharfStorage, notaryStorage } = await startTrustServers(pairing);
  const stopAll = () => Promise.all(servers.map((s) => s.stop()));
  const onInterrupt = () => void stopAll().finally(() => process.exit(130));
  process.once('SIGINT', onInterrupt);
  const prefix = `trust [${pairingLabel(pairing)}]`;
  try {
    const states: ServerState[] = servers.map((server) => ({ server }));
    await runTrustFigures(states, plan, report, prefix);
    const rss = report.figure(`${prefix}: peak RSS (VmHWM) at the end, notary-signer included`, 'MiB', true);
    for (const server of servers) await measure(server, rss, async () => server.peakRssKiB() / 1024);
    const [wharf, notary] = servers as [BenchServer, BenchServer];
    const keytype = (i: number) => states[i]?.initialised?.[0]?.serverKeys?.timestamp.keytype ?? '?';
    report.notes.push(`${prefix}: Wharf ${wharf.url} on ${wharfStorage}, server keys ${keytype(0)}; ` +
      `${notary.label} ${notary.url} on ${notaryStorage}, server keys ${keytype(1)}.`);
  } catch (err) {
    if (!(err instanceof IntegrityError)) for (const s of servers) console.error(`--- ${prefix} ${s.role} output ---\n${s.output().slice(-4000)}`);
    throw err;
  } finally {
    process.off('SIGINT', onInterrupt);
    await stopAll();
  }
}

async function runTrustFigures(states: ServerState[], plan: TrustPlan, report: Report, prefix: string): Promise<void> {
  const k = plan.concurrency;
  // Sequential only: notary-server 0.7's local signer creates keys in an unguarded map, and concurrent
  // GET <role>.key for new GUNs crashes it now and then ("fatal error: concurrent map writes").
  const initSeq = report.figure(`${prefix}: init + first publish of ${plan.initSequential} new GUNs, sequential`, 'publish/s');
  const addSeq = report.figure(`${prefix}: add one target (POST targets), ${plan.addSequential} publishes, sequential`, 'publish/s');
  const addConc = report.figure(`${prefix}: add one target, ${plan.addConcurrent} publishes, ${k} clients on distinct GUNs`, 'publish/s');
  const reads = (['timestamp', 'snapshot', 'targets'] as const).map((role) => ({
    role, figure: report.figure(`${prefix}: GET ${role}.json by name, ${plan.wrkConnections} connections, wrk`, 'req/s'),
  }));

  for (const st of alternate(states, 0)) {
    const warm = await prepareCollections(st.server, 'warmup', plan.warmup);
    const ok = await measure(st.server, initSeq, async () => {
      await inLanes(warm, 1, (c) => initPublish(st.server, c));
      await inLanes(warm, 1, (c) => addTarget(st.server, c));
      const cols = await prepareCollections(st.server, 'seq', plan.initSequential);
      const value = await rate(cols.length, () => inLanes(cols, 1, (c) => initPublish(st.server, c)));
      st.initialised = cols;
      return value;
    });
    if (!ok) for (const f of [addSeq, addConc, ...reads.map((r) => r.figure)]) f.errors[st.server.role] ??= 'skipped: init failed';
  }
  for (const st of alternate(states, 1)) {
    if (!st.initialised) continue;
    const picks = roundRobin(st.initialised, plan.addSequential);
    await measure(st.server, addSeq, () => rate(picks.length, () => inLanes(picks, 1, (c) => addTarget(st.server, c))));
  }
  // Untimed first: a fresh server's first burst of 64 TLS handshakes and cold read path would
  // otherwise land on whichever role is measured first.
  for (const st of states) {
    const c = st.initialised?.[0];
    if (!c) continue;
    for (const role of ['timestamp', 'snapshot', 'targets'] as const) {
      await runWrk(st.server, { method: 'GET', path: tufPath(c.gun, `${role}.json`), connections: plan.wrkConnections, threads: 2, seconds: 1 }).catch(() => undefined);
    }
  }
  for (const [i, r] of reads.entries()) {
    for (const st of alternate(states, i)) {
      const c = st.initialised?.[0];
      if (c) await measure(st.server, r.figure, () => readRate(st.server, c, r.role, plan));
    }
  }
  // Last: notary-server 0.7 on a SQL store crashes now and then under concurrent publishes ("fatal
  // error: concurrent map read and map write" in its TUF metadata cache), which would cost the reads.
  for (const st of alternate(states, 0)) {
    // Lane l of k owns collections l, l+k, …, so no two clients ever publish to the same GUN at once.
    const all = st.initialised;
    if (!all || all.length < k) continue;
    const picks = roundRobin(all.slice(0, all.length - (all.length % k)), plan.addConcurrent);
    await measure(st.server, addConc, () => rate(picks.length, () => inLanes(picks, k, (c) => addTarget(st.server, c))));
  }
}
