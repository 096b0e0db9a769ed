import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ApiClient, ApiResponse } from './management-api.ts';
import {
  MEDIA,
  descriptorOf,
  expectStatus,
  imageIndex,
  pushArtifact,
  pushImage,
  pushManifest,
  sha256,
  type Content,
  type Descriptor,
  type Registry,
} from './oci.ts';
import { tmpDir } from './tmp.ts';

export interface Operation {
  id: string;
  status: 'InProgress' | 'Succeeded' | 'Failed';
  error?: { code: string; message: string };
  source: string;
  targets: string[];
  startTime: string;
  endTime?: string;
  progress: { manifests: number; blobsCopied: number; blobsSkipped: number; bytesCopied: number };
}

/** A two-platform image (index over two image manifests) pushed by tag; optionally Docker media types. */
export interface MultiPlatformImage {
  index: Content;
  children: Content[];
  /** Referrers pushed (by digest) when asked: a signature of the index, an SBOM of the first child, a signature of the SBOM. */
  referrers: Content[];
}

const SIGNATURE = 'application/vnd.example.signature.v1';
const SBOM = 'application/vnd.example.sbom.v1';

export async function pushMultiPlatform(
  reg: Registry,
  repo: string,
  tag: string,
  opts: { docker?: boolean; referrers?: 'api' | 'tag-schema'; layers?: number } = {},
): Promise<MultiPlatformImage> {
  const mediaType = opts.docker ? MEDIA.dockerManifest : MEDIA.ociManifest;
  const platforms = [{ architecture: 'amd64', os: 'linux' }, { architecture: 'arm64', os: 'linux' }];
  const children: Content[] = [];
  const descriptors: Descriptor[] = [];
  for (const platform of platforms) {
    const image = await pushImage(reg, repo, { mediaType, layers: opts.layers ?? 2 });
    children.push(image.manifest);
    descriptors.push(descriptorOf(image.manifest, { platform }));
  }
  const index = imageIndex(descriptors, { mediaType: opts.docker ? MEDIA.dockerList : MEDIA.ociIndex });
  await pushManifest(reg, repo, tag, index);
  const referrers: Content[] = [];
  if (opts.referrers !== undefined) {
    const signature = (await pushArtifact(reg, repo, descriptorOf(index), { artifactType: SIGNATURE })).manifest;
    const sbom = (await pushArtifact(reg, repo, descriptorOf(children[0]!), { artifactType: SBOM })).manifest;
    const sbomSignature = (await pushArtifact(reg, repo, descriptorOf(sbom), { artifactType: SIGNATURE })).manifest;
    referrers.push(signature, sbom, sbomSignature);
    if (opts.referrers === 'tag-schema') {
      // A registry without the Referrers API: clients keep an index per subject under sha256-<hex> (distribution-spec v1.1).
      await pushFallbackTag(reg, repo, index.digest, [signature]);
      await pushFallbackTag(reg, repo, children[0]!.digest, [sbom]);
      await pushFallbackTag(reg, repo, sbom.digest, [sbomSignature]);
    }
  }
  return { index, children, referrers };
}

async function pushFallbackTag(reg: Registry, repo: string, subject: string, referrers: Content[]): Promise<void> {
  const list = imageIndex(referrers.map((r) => descriptorOf(r, { artifactType: JSON.parse(r.bytes.toString()).artifactType })));
  await pushManifest(reg, repo, subject.replace(':', '-'), list);
}

/** POST /api/registry/importImage as `auth` (default the owner). */
export async function importImage(api: ApiClient, body: unknown, auth?: string): Promise<ApiResponse<Operation>> {
  return api.call<Operation>('POST', '/api/registry/importImage', { auth: auth ?? await api.ownerAuth(), body });
}

/** Polls the operation until it leaves InProgress (deadline 120 s); returns its last state. */
export async function waitForOperation(api: ApiClient, id: string, auth?: string): Promise<Operation> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const res = await api.call<Operation>('GET', `/api/operations/${id}`, { auth: auth ?? await api.ownerAuth() });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    if (res.body.status !== 'InProgress') return res.body;
    assert.ok(Date.now() < deadline, `operation ${id} still InProgress: ${JSON.stringify(res.body)}`);
    await sleep(100);
  }
}

/** Starts an import (expecting 202 and a Location naming the operation) and waits for it to succeed. */
export async function importAndWait(api: ApiClient, body: unknown): Promise<Operation> {
  const res = await importImage(api, body);
  assert.equal(res.status, 202, JSON.stringify(res.body));
  assert.equal(res.headers.get('location'), `/api/operations/${res.body.id}`);
  const op = await waitForOperation(api, res.body.id);
  assert.equal(op.status, 'Succeeded', JSON.stringify(op));
  return op;
}

/** The manifest `ref` of `repo` must be served with exactly `expected`'s bytes, digest and media type. */
export async function expectManifest(reg: Registry, repo: string, ref: string, expected: Content): Promise<void> {
  const res = await reg.fetch(`/v2/${repo}/manifests/${ref}`, { headers: { accept: [MEDIA.ociManifest, MEDIA.ociIndex, MEDIA.dockerManifest, MEDIA.dockerList].join(', ') } });
  const bytes = Buffer.from(await res.arrayBuffer());
  assert.equal(res.status, 200, `${repo}:${ref}: ${bytes.toString().slice(0, 300)}`);
  assert.equal(sha256(bytes), expected.digest, `${repo}:${ref} bytes`);
  assert.equal(res.headers.get('docker-content-digest'), expected.digest);
  assert.equal(res.headers.get('content-type'), expected.mediaType);
}

/** Every blob an image manifest names must download from `repo` and hash to its digest. */
export async function expectBlobs(reg: Registry, repo: string, manifest: Content): Promise<void> {
  const doc = JSON.parse(manifest.bytes.toString()) as { config: Descriptor; layers: Descriptor[] };
  for (const d of [doc.config, ...doc.layers]) {
    const res = await reg.fetch(`/v2/${repo}/blobs/${d.digest}`);
    const bytes = Buffer.from(await res.arrayBuffer());
    assert.equal(res.status, 200, `${repo} blob ${d.digest}`);
    assert.equal(sha256(bytes), d.digest);
    assert.equal(bytes.length, d.size);
  }
}

/** The whole multi-platform image is in `repo` of the target: index by tag, children, blobs. */
export async function expectImage(target: Registry, repo: string, tag: string, image: MultiPlatformImage): Promise<void> {
  await expectManifest(target, repo, tag, image.index);
  for (const child of image.children) {
    await expectManifest(target, repo, child.digest, child);
    await expectBlobs(target, repo, child);
  }
}

/** Digests the target's Referrers API lists for `subject` in `repo`. */
export async function referrerDigests(reg: Registry, repo: string, subject: string): Promise<string[]> {
  const res = await reg.fetch(`/v2/${repo}/referrers/${subject}`);
  const body = JSON.parse(await expectStatus(res, 200)) as { manifests: Descriptor[] };
  return body.manifests.map((m) => m.digest).sort();
}

/** A PEM bundle file of the given CAs (import.caFile), in a temp dir removed by `remove`. */
export async function caBundle(pems: readonly string[]): Promise<{ file: string; remove(): Promise<void> }> {
  const dir = await tmpDir('wharf-import-ca-');
  const file = join(dir.path, 'sources.pem');
  await writeFile(file, pems.join('\n'));
  return { file, remove: dir.remove };
}
