import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { call, header, locationOf, runPool, StepError, withDigest } from './http.ts';
import { agentFor, type BenchServer } from './servers.ts';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
const OCI_LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
}

/** A config and a layer pushed to a repository; manifests reference both. */
export interface PushedImage {
  readonly repo: string;
  readonly config: Descriptor;
  readonly layer: Descriptor;
}

function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** Pushes a small blob monolithically (POST, then PUT ?digest= with the bytes). */
async function pushSmallBlob(server: BenchServer, repo: string, bytes: Buffer, mediaType: string): Promise<Descriptor> {
  const digest = sha256(bytes);
  const started = await call(server, `/v2/${repo}/blobs/uploads/`, { method: 'POST', expect: [202], step: 'start small upload' });
  await call(server, withDigest(locationOf(server, started, 'start small upload'), digest).href, {
    method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: bytes, expect: [201], step: 'PUT small blob',
  });
  return { mediaType, digest, size: bytes.length };
}

/** Pushes the config and the (fake, 4 KiB) layer that every bench manifest references. */
export async function pushImage(server: BenchServer, repo: string): Promise<PushedImage> {
  const layerBytes = Buffer.alloc(4096, 'wharf bench layer\n');
  const configBytes = Buffer.from(JSON.stringify({
    architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256(layerBytes)] },
  }));
  const config = await pushSmallBlob(server, repo, configBytes, OCI_CONFIG);
  const layer = await pushSmallBlob(server, repo, layerBytes, OCI_LAYER);
  return { repo, config, layer };
}

/** The exact bytes of manifest number `n` of the image; distinct n give distinct digests. */
export function manifestBytes(image: PushedImage, n: number): Buffer {
  return Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: OCI_MANIFEST, config: image.config, layers: [image.layer],
    annotations: { 'org.example.bench.n': String(n) },
  }));
}

/** PUTs a manifest under `ref` (tag or digest); checks 201 and the returned digest. */
export async function putManifest(server: BenchServer, image: PushedImage, ref: string, bytes: Buffer,
  dispatcher = server.dispatcher): Promise<string> {
  const res = await call(server, `/v2/${image.repo}/manifests/${ref}`, {
    method: 'PUT', headers: { 'content-type': OCI_MANIFEST }, body: bytes, dispatcher, expect: [201], step: `PUT manifest ${ref}`,
  });
  const digest = sha256(bytes);
  const returned = header(res, 'docker-content-digest');
  if (returned !== undefined && returned !== digest) {
    throw new StepError(`PUT manifest ${ref}: Docker-Content-Digest ${returned}, expected ${digest}`, res.status, '');
  }
  return digest;
}

/** One GET or HEAD of a manifest that must be 200 (and, for GET, return the exact bytes): the check before wrk. */
export async function checkManifest(server: BenchServer, repo: string, ref: string, method: 'GET' | 'HEAD', bytes: Buffer): Promise<void> {
  const res = await call(server, `/v2/${repo}/manifests/${ref}`, {
    method, headers: { accept: OCI_MANIFEST }, step: `${method} manifest ${ref}`,
  });
  if (method === 'GET' && !res.body.equals(bytes)) {
    throw new StepError(`GET manifest ${ref}: body differs from the pushed bytes`, res.status, res.body.toString('utf8'));
  }
}

/** PUTs `count` distinct manifests (tags put-<n>) over `connections` keep-alive connections; returns PUTs per second. */
export async function manifestPutRate(server: BenchServer, image: PushedImage, count: number, connections: number): Promise<number> {
  const bodies = Array.from({ length: count }, (_, n) => manifestBytes(image, 1_000_000 + n));
  const agent = agentFor(server, connections);
  try {
    const t0 = performance.now();
    await runPool(count, connections, (n) => putManifest(server, image, `put-${n}`, bodies[n]!, agent).then(() => undefined));
    return count / ((performance.now() - t0) / 1000);
  } finally {
    await agent.close();
  }
}

/** Tags one manifest `count` times (t00000…) with concurrent PUTs; not timed. */
export async function populateTags(server: BenchServer, image: PushedImage, count: number, concurrency: number): Promise<void> {
  const bytes = manifestBytes(image, 0);
  const agent = agentFor(server, concurrency);
  try {
    await runPool(count, concurrency, (n) =>
      putManifest(server, image, `t${String(n).padStart(5, '0')}`, bytes, agent).then(() => undefined));
  } finally {
    await agent.close();
  }
}

/**
 * Fetches the whole tag list (GET tags/list without n, following Link pages if the server paginates)
 * and checks it holds `expected` tags; returns the median of `rounds` fetches in ms and the page count.
 */
export async function tagListFetch(server: BenchServer, repo: string, expected: number, rounds: number): Promise<{ ms: number; pages: number }> {
  const times: number[] = [];
  let pages = 0;
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    const seen = new Set<string>();
    pages = 0;
    for (let next: string | undefined = `/v2/${repo}/tags/list`; next !== undefined; pages++) {
      const res = await call(server, next, { step: 'GET tags/list' });
      const list = JSON.parse(res.body.toString('utf8')) as { tags?: string[] | null };
      for (const tag of list.tags ?? []) seen.add(tag);
      next = nextPage(header(res, 'link'));
    }
    times.push(performance.now() - t0);
    if (seen.size !== expected) throw new StepError(`tags/list returned ${seen.size} tags, expected ${expected}`, 200, '');
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)]!, pages };
}

/** The target of an RFC 8288 `Link: <...>; rel="next"` header, if any. */
function nextPage(link: string | undefined): string | undefined {
  const match = link && /<([^>]+)>\s*;\s*rel="?next"?/.exec(link);
  return match ? match[1] : undefined;
}
