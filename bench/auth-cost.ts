import { performance } from 'node:perf_hooks';
import { request } from 'undici';
import { authorize } from './auth.ts';
import { StepError } from './http.ts';
import { httpsRate } from './load.ts';
import { checkManifest, manifestBytes, OCI_MANIFEST, pushImage, putManifest } from './manifests.ts';
import { median, record } from './phases.ts';
import type { BenchPlan } from './plan.ts';
import type { Report } from './report.ts';
import { agentFor, startWharfServer, type BenchServer } from './servers.ts';
import { rateAndCpu } from './server-cpu.ts';
import { runWrk } from './wrk.ts';

const REPO = 'bench/auth';
/** Concurrent token requests: enough to keep the password-hash threads and the event loop busy. */
const TOKEN_CONNECTIONS = 16;

/**
 * What authentication costs (issue #4 target: under 10 % of throughput): two Wharf processes in one
 * run, one with auth on (Bearer access token on every request), one with auth off; manifest GET by
 * tag with wrk, both servers loaded at once in each round (median rate, median server CPU per
 * request), then token issuance on the first.
 */
export async function authPhase(plan: BenchPlan, report: Report): Promise<void> {
  const rounds = plan.downloadRounds;
  const row = report.table('Authentication cost: one Wharf with auth on, one with auth off', { wharf: 'auth on', reference: 'auth off' });
  const reads = row(`manifest GET by tag, ${plan.wrkConnections} connections, wrk, both servers at once (median of ${rounds})`, 'req/s');
  const cpu = row(`server CPU per manifest GET (median of ${rounds})`, 'µs', true);
  const basicTokens = row(`token issuance, GET /oauth2/token with Basic, ${TOKEN_CONNECTIONS} connections`, 'tokens/s');
  const refreshTokens = row(`token issuance, POST refresh_token grant, ${TOKEN_CONNECTIONS} connections`, 'tokens/s');
  report.notes.push('Authentication cost table: the same build twice (SQLite), the "auth on" one reached with a Bearer access token ' +
    'for pull and push (as docker sends it), the other with auth.enabled=false. Manifest GETs: an untimed warm-up, then rounds ' +
    'that load both servers at once (each then has about half the machine, so the rates are lower than alone; their ratio ' +
    'and the CPU per request are what compare). Token issuance exists only with auth on; a Basic token request checks the ' +
    'password (scrypt), a refresh grant verifies and signs ES256 JWTs.');
  const servers = await Promise.all([
    startWharfServer({ env: { WHARF_AUTH__ENABLED: 'true' }, label: 'wharf, auth on' }),
    startWharfServer({ env: { WHARF_AUTH__ENABLED: 'false' }, role: 'reference', label: 'wharf, auth off' }),
  ]);
  try {
    const [on] = servers as [BenchServer, BenchServer];
    const ready: BenchServer[] = [];
    for (const server of servers) {
      try {
        await authorize(server, [REPO], server.credentials);
        const image = await pushImage(server, REPO);
        await putManifest(server, image, 'latest', manifestBytes(image, 0));
        await checkManifest(server, REPO, 'latest', 'GET', manifestBytes(image, 0));
        ready.push(server);
      } catch (err) {
        reads.errors[server.role] = `setup failed: ${(err as Error).message}`;
        console.error(`${reads.name} / ${server.label}: ERROR ${reads.errors[server.role]}`);
      }
    }
    const load = { method: 'GET', path: `/v2/${REPO}/manifests/latest`, headers: { accept: OCI_MANIFEST }, connections: plan.wrkConnections, threads: 2, seconds: plan.wrkSeconds } as const;
    // Untimed warm-up (JIT, caches): a cold first round costs several times the CPU per request of a warm one.
    await Promise.all(ready.map((server) => runWrk(server, load).catch(() => undefined)));
    // Both servers under load at once in every round, so that they share whatever else the machine
    // runs: one after the other, a loaded machine's swings made the rounds disagree more than auth does.
    const rates = new Map<BenchServer, number[]>(ready.map((s) => [s, []]));
    const cpus = new Map<BenchServer, number[]>(ready.map((s) => [s, []]));
    const pairedRatios: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const results = await Promise.all(ready.map((server) => rateAndCpu(server, load).catch(() => ({ rate: Number.NaN, cpuUs: Number.NaN }))));
      ready.forEach((server, i) => {
        rates.get(server)!.push(results[i]!.rate);
        cpus.get(server)!.push(results[i]!.cpuUs);
        console.error(`${reads.name} / ${server.label}, round ${round + 1}: ${results[i]!.rate.toFixed(0)} req/s, ${results[i]!.cpuUs.toFixed(1)} µs CPU per request`);
      });
      if (ready.length === 2) pairedRatios.push(results[0]!.rate / results[1]!.rate);
    }
    for (const server of ready) {
      for (const [figure, samples] of [[reads, rates], [cpu, cpus]] as const) {
        await record(server, figure, async () => {
          const values = samples.get(server)!;
          if (values.some(Number.isNaN)) throw new Error('a round failed (wrk reported errors)');
          return median(values);
        });
      }
    }
    if (pairedRatios.length > 0 && !pairedRatios.some(Number.isNaN)) {
      report.notes.push(`Manifest GET, auth on/auth off per round (both loaded at once): ${pairedRatios.map((r) => r.toFixed(2)).join(', ')}; median ${median(pairedRatios).toFixed(2)}.`);
    }
    if (!on.credentials) return;
    const { username, password } = on.credentials;
    const service = new URL(on.url).host;
    const query = new URLSearchParams({ service, scope: `repository:${REPO}:pull` });
    await record(on, basicTokens, () => httpsRate(on, {
      method: 'GET', path: `/oauth2/token?${query}`, connections: TOKEN_CONNECTIONS, seconds: plan.wrkSeconds,
      headers: { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` },
    }));
    await record(on, refreshTokens, async () => {
      const offline = await postForm(on, { grant_type: 'password', service, username, password, access_type: 'offline', client_id: 'bench' });
      const refresh = (JSON.parse(offline) as { refresh_token?: string }).refresh_token;
      if (!refresh) throw new Error('the password grant returned no refresh token');
      const form = new URLSearchParams({ grant_type: 'refresh_token', service, refresh_token: refresh, scope: `repository:${REPO}:pull`, client_id: 'bench' }).toString();
      return formRate(on, form, TOKEN_CONNECTIONS, plan.wrkSeconds);
    });
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}

async function postForm(server: BenchServer, fields: Record<string, string>): Promise<string> {
  const res = await request(`${server.url}/oauth2/token`, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString(), dispatcher: server.dispatcher,
  });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new StepError('POST /oauth2/token', res.statusCode, text);
  return text;
}

/** Closed-loop POSTs of one form to /oauth2/token over `connections` keep-alive sockets for `seconds`; tokens per second. */
async function formRate(server: BenchServer, form: string, connections: number, seconds: number): Promise<number> {
  const agent = agentFor(server, connections);
  let completed = 0;
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  try {
    const lane = async () => {
      while (performance.now() < deadline) {
        const res = await request(`${server.url}/oauth2/token`, {
          method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form, dispatcher: agent,
        });
        const text = await res.body.text();
        if (res.statusCode !== 200) throw new StepError('POST /oauth2/token (refresh grant) under load', res.statusCode, text);
        completed++;
      }
    };
    await Promise.all(Array.from({ length: connections }, lane));
    return completed / ((performance.now() - t0) / 1000);
  } finally {
    await agent.close();
  }
}
