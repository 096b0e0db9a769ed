import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { packTar, type TarEntry } from './tar.ts';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const OCI_LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';

/** A content-addressed blob: exact bytes, and the descriptor fields that point at them. */
export interface Blob {
  mediaType: string;
  digest: string;
  size: number;
  bytes: Buffer;
}

export function sha256(bytes: Buffer): string {
  return 'sha256:' + createHash('sha256').update(bytes).digest('hex');
}

export function blob(mediaType: string, bytes: Buffer): Blob {
  return { mediaType, digest: sha256(bytes), size: bytes.length, bytes };
}

export function descriptor(b: Blob, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { mediaType: b.mediaType, digest: b.digest, size: b.size, ...extra };
}

/** An uncompressed layer tar with `files` random (incompressible) files: unique on every run. */
export function randomLayer(files = 2, bytesPerFile = 256 * 1024): Buffer {
  const dir = `e2e-${randomBytes(6).toString('hex')}/`;
  const entries: TarEntry[] = [{ name: dir }];
  for (let i = 0; i < files; i++) entries.push({ name: `${dir}file-${i}.bin`, data: randomBytes(bytesPerFile) });
  return packTar(entries);
}

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
}

/** Image config JSON bytes over uncompressed layers (diff_ids are their sha256). */
export function imageConfig(layers: readonly Buffer[], platform: Platform = { architecture: 'amd64', os: 'linux' }): Buffer {
  return Buffer.from(
    JSON.stringify({
      architecture: platform.architecture,
      os: platform.os,
      ...(platform.variant ? { variant: platform.variant } : {}),
      created: '2024-01-01T00:00:00Z',
      config: { Cmd: ['/e2e'] },
      rootfs: { type: 'layers', diff_ids: layers.map(sha256) },
      history: layers.map((_, i) => ({ created: '2024-01-01T00:00:00Z', created_by: `e2e layer ${i}` })),
    }),
  );
}

/** A docker-archive (the `docker save` / `docker load` format) holding one image. */
export function dockerArchive(layers: readonly Buffer[], repoTag: string): { tar: Buffer; imageId: string; diffIds: string[] } {
  const config = imageConfig(layers);
  const imageId = sha256(config);
  const hex = (d: string) => d.slice('sha256:'.length);
  const layerPaths = layers.map((l) => `${hex(sha256(l))}/layer.tar`);
  const manifest = [{ Config: `${hex(imageId)}.json`, RepoTags: [repoTag], Layers: layerPaths }];
  const tar = packTar([
    { name: `${hex(imageId)}.json`, data: config },
    ...layers.flatMap((l, i) => [{ name: `${hex(sha256(l))}/` }, { name: layerPaths[i]!, data: l }]),
    { name: 'manifest.json', data: Buffer.from(JSON.stringify(manifest)) },
  ]);
  return { tar, imageId, diffIds: layers.map(sha256) };
}

export interface OciImage {
  manifest: Blob;
  config: Blob;
  /** gzip-compressed layers as they are stored in the registry. */
  layers: Blob[];
  blobs: Blob[];
}

/** An OCI image manifest over gzip layers (gzip output is deterministic, so skopeo keeps it as is). */
export function ociImage(rawLayers: readonly Buffer[], platform?: Platform): OciImage {
  const config = blob(OCI_CONFIG, imageConfig(rawLayers, platform));
  const layers = rawLayers.map((l) => blob(OCI_LAYER_GZIP, gzipSync(l)));
  const manifest = blob(
    OCI_MANIFEST,
    Buffer.from(
      JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: descriptor(config), layers: layers.map((l) => descriptor(l)) }, null, 2),
    ),
  );
  return { manifest, config, layers, blobs: [manifest, config, ...layers] };
}

/** An OCI image index over images, each labelled with its platform. */
export function ociIndex(images: ReadonlyArray<{ image: OciImage; platform: Platform }>): { index: Blob; blobs: Blob[] } {
  const index = blob(
    OCI_INDEX,
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_INDEX,
        manifests: images.map(({ image, platform }) => descriptor(image.manifest, { platform })),
      }),
    ),
  );
  return { index, blobs: [index, ...images.flatMap(({ image }) => image.blobs)] };
}

/** Writes an OCI image layout whose index.json names `top` as `refName` (skopeo: oci:<dir>:<refName>). */
export async function writeOciLayout(dir: string, top: Blob, blobs: readonly Blob[], refName: string): Promise<void> {
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  for (const b of blobs) await writeFile(join(dir, 'blobs', 'sha256', b.digest.slice(7)), b.bytes);
  const index = {
    schemaVersion: 2,
    manifests: [descriptor(top, { annotations: { 'org.opencontainers.image.ref.name': refName } })],
  };
  await writeFile(join(dir, 'index.json'), JSON.stringify(index));
}

/** The blob files of an OCI layout, by digest, and the descriptor that index.json names `refName`. */
export async function readOciLayout(dir: string, refName: string): Promise<{ top: { digest: string; mediaType: string }; blobs: Map<string, Buffer> }> {
  const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as {
    manifests: Array<{ digest: string; mediaType: string; annotations?: Record<string, string> }>;
  };
  const top = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === refName);
  if (!top) throw new Error(`no ${refName} in ${dir}/index.json: ${JSON.stringify(index)}`);
  const blobs = new Map<string, Buffer>();
  for (const name of await readdir(join(dir, 'blobs', 'sha256'))) {
    blobs.set(`sha256:${name}`, await readFile(join(dir, 'blobs', 'sha256', name)));
  }
  return { top: { digest: top.digest, mediaType: top.mediaType }, blobs };
}
