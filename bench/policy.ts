import { readFileSync } from 'node:fs';
import { authorize } from './auth.ts';
import { call, IntegrityError } from './http.ts';
import { manifestBytes, OCI_MANIFEST, pushImage, putManifest } from './manifests.ts';
import { alternate, median, record } from './phases.ts';
import type { BenchPlan } from './plan.ts';
import type { Figure, Report } from './report.ts';
import { startWharfServer, type BenchServer } from './servers.ts';
import { gunPrefix, initPublish, tufPath, type Collection } from './trust-client.ts';
import { runWrk } from './wrk.ts';
import { generateKey, generateRootKey, multipartBody, signFile, targetsSigned, type JsonObject } from '../test/helpers/tuf.ts';

const REPO = 'bench/policy';
type Mode = 'enforced' | 'enabled';

/**
 * What the `enforced` content trust policy costs (issue 5 target: under 15 % of manifest GET
 * throughput): one Wharf, one repository whose tag `latest` is signed by a real TUF publish, the
 * repository's override switched between `enforced` and `enabled` through the management API
 * before each measurement; wrk GETs by tag and by digest in interleaved rounds, median.
 */
export async function policyPhase(plan: BenchPlan, report: Report): Promise<void> {
  const rounds = plan.isQuick ? 1 : 5;
  const row = report.table('Content trust enforcement cost: one Wharf, one repository enforced vs enabled', { wharf: 'enforced', reference: 'enabled' });
  const byTag = row(`manifest GET by tag, anonymous, ${plan.wrkConnections} connections, wrk (median of ${rounds})`, 'req/s');
  const byDigest = row(`manifest GET by digest, anonymous, ${plan.wrkConnections} connections, wrk (median of ${rounds})`, 'req/s');
  const byTagBearer = row(`manifest GET by tag, Bearer token, ${plan.wrkConnections} connections, wrk (median of ${rounds})`, 'req/s');
  const cpuRow = (what: string) => row(`server CPU per request, ${what} (median of ${rounds})`, 'µs', true);
  const cpu = new Map<Figure, Figure>([[byTag, cpuRow('GET by tag, anonymous')], [byDigest, cpuRow('GET by digest, anonymous')], [byTagBearer, cpuRow('GET by tag, Bearer')]]);
  report.notes.push('Content trust enforcement table: one Wharf (SQLite, auth on with anonymous pull, so that the anonymous rows pay ' +
    'no token verification and the policy is the only difference in a cheap path; the Bearer row sends an access token as docker does), ' +
    `${REPO}:latest signed by a TUF publish (root, targets; server-made snapshot and timestamp); each round sets the repository's ` +
    'override to enforced or enabled through PATCH /api/registry/contentTrust (order alternating), checks that an unsigned tag is ' +
    '404 under enforced and 200 under enabled, then runs wrk. Under enforced every GET resolves the tag through the verified, cached signed tags. ' +
    'Server CPU per request = the Wharf process\'s user+system CPU time (/proc/<pid>/stat) during a wrk run / requests answered: ' +
    'less sensitive than req/s to other load on the machine.');
  // Auth on: the management API that switches the policy exists only with authentication.
  const server = await startWharfServer({ env: { WHARF_AUTH__ENABLED: 'true', WHARF_AUTH__ANONYMOUS_PULL: 'true', WHARF_TRUST__POLICY: 'enabled' } });
  // The same server in both columns: `record` files a value under the server's role.
  const views: Record<Mode, BenchServer> = { enforced: server, enabled: { ...server, role: 'reference', label: 'wharf, enabled' } };
  try {
    let digest: string;
    try {
      digest = await signedImage(server);
    } catch (err) {
      for (const figure of [byTag, byDigest, byTagBearer, ...cpu.values()]) for (const role of ['wharf', 'reference'] as const) figure.errors[role] = `setup failed: ${(err as Error).message}`;
      console.error(`content trust enforcement: setup failed: ${(err as Error).message}`);
      return;
    }
    const anonymous: BenchServer = { ...server, auth: {} };
    const loads = [
      { figure: byTag, client: anonymous, path: `/v2/${REPO}/manifests/latest` },
      { figure: byDigest, client: anonymous, path: `/v2/${REPO}/manifests/${digest}` },
      { figure: byTagBearer, client: server, path: `/v2/${REPO}/manifests/latest` },
    ];
    const wrkLoad = (path: string) => ({ method: 'GET', path, headers: { accept: OCI_MANIFEST }, connections: plan.wrkConnections, threads: 2, seconds: plan.wrkSeconds } as const);
    // Untimed warm-up of both paths (JIT, caches), so that the first round measures neither.
    for (const mode of ['enforced', 'enabled'] as const) {
      await setMode(server, mode);
      for (const { client, path } of loads) await measure(client, wrkLoad(path)).catch(() => undefined);
    }
    const samples = new Map<Figure, Record<Mode, number[]>>([...loads.map((l) => l.figure), ...cpu.values()].map((f) => [f, { enforced: [], enabled: [] }]));
    for (let round = 0; round < rounds; round++) {
      for (const view of alternate([views.enforced, views.enabled], round)) {
        const mode: Mode = view === views.enforced ? 'enforced' : 'enabled';
        await setMode(server, mode);
        for (const { figure, client, path } of loads) {
          const { rate, cpuUs } = await measure(client, wrkLoad(path)).catch(() => ({ rate: Number.NaN, cpuUs: Number.NaN }));
          console.log(`${figure.name} / ${mode}, round ${round + 1}: ${rate.toFixed(0)} req/s, ${cpuUs.toFixed(1)} µs CPU per request`);
          samples.get(figure)![mode].push(rate);
          samples.get(cpu.get(figure)!)![mode].push(cpuUs);
        }
      }
    }
    for (const [figure, values] of samples) {
      for (const mode of ['enforced', 'enabled'] as const) {
        await record(views[mode], figure, async () => {
          if (values[mode].some(Number.isNaN)) throw new Error('a round failed (wrk reported errors)');
          return median(values[mode]);
        });
      }
    }
  } finally {
    await server.stop();
  }
}

/** wrk's request rate, and the server's CPU time per request over the run; throws when wrk saw failures. */
async function measure(server: BenchServer, load: Parameters<typeof runWrk>[1]): Promise<{ rate: number; cpuUs: number }> {
  const before = cpuTimeUs(server.pid);
  const s = await runWrk(server, load);
  const used = cpuTimeUs(server.pid) - before;
  const failures = s.non2xx + s.connectErrors + s.readErrors + s.writeErrors + s.timeouts;
  if (failures > 0 || s.requests === 0) throw new Error(`wrk GET ${load.path}: ${s.requests} requests, ${failures} failures`);
  return { rate: s.requests / (s.durationUs / 1e6), cpuUs: used / s.requests };
}

/** User + system CPU time of a process so far, in µs (/proc/<pid>/stat fields 14 and 15, in clock ticks of 10 ms). */
function cpuTimeUs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

/**
 * Pushes `latest` (signed) and `unsigned`, publishes trust data that signs `latest`, and proves
 * that enforcement sees a later publish at once: re-signing `latest` to another manifest moves
 * what an enforced GET serves, and signing it back restores it. Returns the signed digest.
 */
async function signedImage(server: BenchServer): Promise<string> {
  // The registry scope for the GETs, the GUN's for the trust publish (as docker asks for both).
  await authorize(server, [REPO, `${gunPrefix(server)}/${REPO}`], server.credentials);
  const image = await pushImage(server, REPO);
  const signed = manifestBytes(image, 0);
  const other = manifestBytes(image, 1);
  const digest = await putManifest(server, image, 'latest', signed);
  const otherDigest = await putManifest(server, image, 'unsigned', other);
  const gun = `${gunPrefix(server)}/${REPO}`;
  const entry = (bytes: Buffer, d: string): JsonObject => ({ hashes: { sha256: Buffer.from(d.slice(7), 'hex').toString('base64') }, length: bytes.length });
  const c: Collection = { gun, rootKey: await generateRootKey({ cn: gun }), targetsKey: generateKey('ecdsa'), targets: { latest: entry(signed, digest) } };
  await initPublish(server, c);
  await setMode(server, 'enforced');
  await expectServed(server, 'latest', digest);
  await resign(server, c, entry(other, otherDigest));
  await expectServed(server, 'latest', otherDigest);
  await resign(server, c, entry(signed, digest));
  await expectServed(server, 'latest', digest);
  return digest;
}

/** Publishes targets version+1 where `latest` is `target` (what `docker trust sign` sends). */
async function resign(server: BenchServer, c: Collection, target: JsonObject): Promise<void> {
  const version = (c.published?.version ?? 1) + 1;
  const file = signFile('targets', targetsSigned({ version, targets: { latest: target } }), [c.targetsKey]);
  const { body, contentType } = multipartBody([{ filename: 'targets', body: file.bytes }]);
  await call(server, tufPath(c.gun), { method: 'POST', headers: { 'content-type': contentType }, body, step: 'publish targets' });
  c.published = file;
}

/** Sets the repository's override and checks that serving follows it: `unsigned` is 404 only under enforced. */
async function setMode(server: BenchServer, mode: Mode): Promise<void> {
  const { username, password } = server.credentials ?? { username: '', password: '' };
  await call(server, '/api/registry/contentTrust', {
    method: 'PATCH',
    headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` }, body: JSON.stringify({ status: mode, repository: REPO }), step: `set ${mode}`,
  });
  const res = await call(server, `/v2/${REPO}/manifests/unsigned`, { headers: { accept: OCI_MANIFEST }, expect: [200, 404], step: 'GET unsigned' });
  if (res.status !== (mode === 'enforced' ? 404 : 200)) throw new IntegrityError(`${mode}: GET ${REPO}:unsigned answered ${res.status}`);
}

async function expectServed(server: BenchServer, tag: string, digest: string): Promise<void> {
  const res = await call(server, `/v2/${REPO}/manifests/${tag}`, { headers: { accept: OCI_MANIFEST }, step: `GET ${tag}` });
  const served = res.headers['docker-content-digest'];
  if (served !== digest) throw new IntegrityError(`enforced: ${REPO}:${tag} served ${String(served)}, its trust data signs ${digest}`);
}
