import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { request } from 'undici';
import { blobDigest, blobSpec, blobStream, MiB, type BlobSpec } from './blob-data.ts';
import { call, IntegrityError, locationOf, runPool, StepError, withDigest } from './http.ts';
import type { BenchServer } from './servers.ts';

const OCTETS = { 'content-type': 'application/octet-stream' };

/** Monolithic push (dist-spec "POST then PUT"): the whole body streams in the PUT ?digest= request. */
export async function pushMonolithic(server: BenchServer, repo: string, spec: BlobSpec): Promise<void> {
  const started = await call(server, `/v2/${repo}/blobs/uploads/`, {
    method: 'POST', expect: [202], step: `start upload of ${spec.label}`,
  });
  const target = withDigest(locationOf(server, started, 'start upload'), blobDigest(spec));
  await call(server, target.href, {
    method: 'PUT',
    headers: { ...OCTETS, 'content-length': String(spec.size) },
    body: blobStream(spec),
    expect: [201],
    step: `monolithic PUT of ${spec.label}`,
  });
}

/** Chunked push: PATCH `chunkSize` pieces with Content-Range, then a bodiless PUT ?digest=. */
export async function pushChunked(server: BenchServer, repo: string, spec: BlobSpec, chunkSize: number): Promise<void> {
  const started = await call(server, `/v2/${repo}/blobs/uploads/`, {
    method: 'POST', expect: [202], step: `start chunked upload of ${spec.label}`,
  });
  let location = locationOf(server, started, 'start chunked upload');
  for (let start = 0; start < spec.size; start += chunkSize) {
    const end = Math.min(start + chunkSize, spec.size);
    const patched = await call(server, location.href, {
      method: 'PATCH',
      headers: { ...OCTETS, 'content-length': String(end - start), 'content-range': `${start}-${end - 1}` },
      body: blobStream(spec, start, end),
      expect: [202],
      step: `PATCH bytes ${start}-${end - 1} of ${spec.label}`,
    });
    location = locationOf(server, patched, 'PATCH');
  }
  await call(server, withDigest(location, blobDigest(spec)).href, {
    method: 'PUT', headers: { 'content-length': '0' }, expect: [201], step: `closing PUT of ${spec.label}`,
  });
}

/** GETs a blob and hashes every byte; a wrong digest or size throws IntegrityError. */
export async function pullVerified(server: BenchServer, repo: string, spec: BlobSpec): Promise<void> {
  const digest = blobDigest(spec);
  const res = await request(`${server.url}/v2/${repo}/blobs/${digest}`, {
    headers: server.auth, dispatcher: server.dispatcher,
  });
  if (res.statusCode !== 200) {
    throw new StepError(`GET blob ${spec.label} (${digest})`, res.statusCode, await res.body.text());
  }
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of res.body) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  const got = `sha256:${hash.digest('hex')}`;
  if (got !== digest || size !== spec.size) {
    throw new IntegrityError(
      `${server.role}: blob ${spec.label} downloaded as ${size} bytes hashing to ${got}; expected ${spec.size} bytes, ${digest}`,
    );
  }
}

/** A set of distinct blobs of one size, moved with a fixed number of concurrent streams. */
export interface TransferSet {
  readonly size: number;
  readonly concurrency: number;
  readonly specs: readonly BlobSpec[];
}

/** `count` distinct blobs of `size` bytes; `tag` keeps sets apart. */
export function transferSet(tag: string, size: number, concurrency: number, count: number): TransferSet {
  const specs = Array.from({ length: count }, (_, i) => blobSpec(`${tag}-${size}-c${concurrency}-${i}`, size));
  return { size, concurrency, specs };
}

/** Hashes every blob of the set ahead of timing (PUT ?digest= needs the digest up front). */
export function precomputeDigests(set: TransferSet): void {
  for (const spec of set.specs) blobDigest(spec);
}

/** Uploads the whole set; MiB/s over wall time. */
export async function uploadRate(server: BenchServer, repo: string, set: TransferSet): Promise<number> {
  return rate(set, () => runPool(set.specs.length, set.concurrency, (i) => pushMonolithic(server, repo, set.specs[i]!)));
}

/** Downloads (and verifies) the whole set; MiB/s over wall time. */
export async function downloadRate(server: BenchServer, repo: string, set: TransferSet): Promise<number> {
  return rate(set, () => runPool(set.specs.length, set.concurrency, (i) => pullVerified(server, repo, set.specs[i]!)));
}

/** Chunked upload of one blob; MiB/s over wall time. */
export async function chunkedUploadRate(server: BenchServer, repo: string, spec: BlobSpec, chunkSize: number): Promise<number> {
  blobDigest(spec);
  const t0 = performance.now();
  await pushChunked(server, repo, spec, chunkSize);
  return spec.size / MiB / ((performance.now() - t0) / 1000);
}

async function rate(set: TransferSet, run: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await run();
  const seconds = (performance.now() - t0) / 1000;
  return (set.size * set.specs.length) / MiB / seconds;
}
