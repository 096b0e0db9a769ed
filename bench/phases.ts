import { chunkedUploadRate, downloadRate, precomputeDigests, transferSet, uploadRate } from './blobs.ts';
import { blobSpec, MiB } from './blob-data.ts';
import { IntegrityError } from './http.ts';
import {
  checkManifest, manifestBytes, manifestPutRate, OCI_MANIFEST, populateTags, pushImage, putManifest, tagListFetch,
} from './manifests.ts';
import type { BenchPlan } from './plan.ts';
import { formatNumber, type Figure, type Report } from './report.ts';
import type { BenchServer } from './servers.ts';
import { httpsRate } from './load.ts';
import { wrkRate } from './wrk.ts';

/** Repositories the bench writes to (one purpose each). */
export const REPOS = { blobs: 'bench/blobs', image: 'bench/image', puts: 'bench/puts', tags: 'bench/tags' } as const;

/** A step that threw (anything but an integrity error, which aborts the bench). */
class Failure {
  constructor(readonly message: string) {}
}

async function attempt<T>(fn: () => Promise<T>): Promise<T | Failure> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof IntegrityError) throw err;
    return new Failure(err instanceof Error ? err.message : String(err));
  }
}

function fail(server: BenchServer, figures: Figure[], message: string): void {
  for (const f of figures) {
    f.errors[server.role] ??= message;
    console.error(`${f.name} / ${server.role}: ERROR ${message.slice(0, 300)}`);
  }
}

/** Runs `fn` on `server` and records its value, or its error, in `figure`; true when it succeeded. */
export async function record(server: BenchServer, figure: Figure, fn: () => Promise<number>): Promise<boolean> {
  const value = await attempt(fn);
  if (value instanceof Failure) fail(server, [figure], value.message);
  else {
    figure.values[server.role] = value;
    console.error(`${figure.name} / ${server.role}: ${formatNumber(value)} ${figure.unit}`);
  }
  return !(value instanceof Failure);
}

/** Servers in turn order for the i-th figure: who goes first alternates, so drift in machine load hits both. */
export const alternate = (servers: BenchServer[], i: number) => (i % 2 === 0 ? servers : [...servers].reverse());

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const sizeLabel = (bytes: number) => `${bytes / MiB} MiB`;

/**
 * Monolithic upload of each transfer set, server after server, then verified downloads in
 * interleaved rounds (median reported): one download of a large set is a single sample, and
 * single samples on this machine drift by a third between runs.
 */
export async function blobPhase(servers: BenchServer[], plan: BenchPlan, report: Report): Promise<void> {
  for (const [i, t] of plan.transfers.entries()) {
    const set = transferSet('mono', t.size, t.concurrency, t.count);
    precomputeDigests(set);
    const what = `${sizeLabel(t.size)} × ${t.count}, ${t.concurrency} stream${t.concurrency > 1 ? 's' : ''}`;
    const up = report.figure(`blob upload, ${what}`, 'MiB/s');
    const down = report.figure(`blob download, ${what} (median of ${plan.downloadRounds})`, 'MiB/s');
    const uploaded: BenchServer[] = [];
    for (const server of alternate(servers, i)) {
      if (await record(server, up, () => uploadRate(server, REPOS.blobs, set))) uploaded.push(server);
      else fail(server, [down], 'skipped: upload failed');
    }
    const samples = new Map<BenchServer, number[]>(uploaded.map((s) => [s, []]));
    for (let round = 0; round < plan.downloadRounds; round++) {
      for (const server of alternate(uploaded, i + round)) {
        const value = await attempt(() => downloadRate(server, REPOS.blobs, set));
        if (value instanceof Failure) fail(server, [down], value.message);
        else samples.get(server)!.push(value);
      }
    }
    for (const [server, values] of samples) {
      if (values.length === plan.downloadRounds) await record(server, down, async () => median(values));
    }
  }
  const { size, chunkSize } = plan.chunked;
  const chunked = report.figure(`chunked upload, ${sizeLabel(size)} in ${sizeLabel(chunkSize)} PATCHes`, 'MiB/s');
  const spec = blobSpec(`chunked-${size}`, size);
  for (const server of servers) {
    await record(server, chunked, () => chunkedUploadRate(server, REPOS.blobs, spec, chunkSize));
  }
}

/** Manifest GET/HEAD by tag and digest with wrk, then distinct manifest PUTs with undici. */
export async function manifestPhase(servers: BenchServer[], plan: BenchPlan, report: Report): Promise<void> {
  const c = plan.wrkConnections;
  const reads = [
    ...(['GET', 'HEAD'] as const).flatMap((method) => (['tag', 'digest'] as const).map((by) => ({
      method, by, tool: method === 'GET' ? 'wrk' : 'node:https',
    }))),
    { method: 'GET', by: 'tag', tool: 'node:https' } as const,
  ].map((r) => ({ ...r, figure: report.figure(`manifest ${r.method} by ${r.by}, ${c} connections, ${r.tool}`, 'req/s') }));
  report.notes.push('HEAD rows come from a node:https keep-alive closed loop in the bench process: wrk 4.1 waits for the ' +
    'Content-Length body a HEAD response never has, and undici closes its socket after every HEAD. ' +
    'The "GET by tag, node:https" row compares that load generator with wrk.');
  const puts = report.figure(`manifest PUT, ${plan.manifestPuts} distinct, ${plan.putConnections} connections`, 'PUT/s');
  for (const server of servers) {
    const setup = await attempt(async () => {
      const image = await pushImage(server, REPOS.image);
      return { image, digest: await putManifest(server, image, 'latest', manifestBytes(image, 0)) };
    });
    for (const r of reads) {
      if (setup instanceof Failure) {
        fail(server, [r.figure], `setup failed: ${setup.message}`);
        continue;
      }
      const ref = r.by === 'tag' ? 'latest' : setup.digest;
      await record(server, r.figure, async () => {
        await checkManifest(server, REPOS.image, ref, r.method, manifestBytes(setup.image, 0));
        const load = {
          method: r.method, path: `/v2/${REPOS.image}/manifests/${ref}`, headers: { accept: OCI_MANIFEST },
          connections: c, seconds: plan.wrkSeconds,
        };
        return r.tool === 'wrk' ? wrkRate(server, { ...load, threads: 2 }) : httpsRate(server, load);
      });
    }
    await record(server, puts, async () =>
      manifestPutRate(server, await pushImage(server, REPOS.puts), plan.manifestPuts, plan.putConnections));
  }
}

/** A repository with `tagCount` tags (populated untimed): one full-list fetch (median) and list req/s with wrk. */
export async function tagPhase(servers: BenchServer[], plan: BenchPlan, report: Report): Promise<void> {
  const n = plan.tagCount.toLocaleString('en-US');
  const fetch = report.figure(`tag list of ${n} tags, whole-list fetch (median of ${plan.tagListRounds})`, 'ms', true);
  const rate = report.figure(`tag list of ${n} tags, ${plan.tagListConnections} connections, wrk`, 'req/s');
  for (const server of servers) {
    const populated = await attempt(async () => populateTags(server, await pushImage(server, REPOS.tags), plan.tagCount, 32));
    if (populated instanceof Failure) {
      fail(server, [fetch, rate], `populating tags failed: ${populated.message}`);
      continue;
    }
    await record(server, fetch, async () => {
      const { ms, pages } = await tagListFetch(server, REPOS.tags, plan.tagCount, plan.tagListRounds);
      if (pages > 1) report.notes.push(`${server.role} paginated the tag list without n= (${pages} pages followed via Link).`);
      return ms;
    });
    await record(server, rate, () => wrkRate(server, {
      method: 'GET', path: `/v2/${REPOS.tags}/tags/list`, connections: plan.tagListConnections, threads: 2, seconds: plan.wrkSeconds,
    }));
  }
}
