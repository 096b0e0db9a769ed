import type { BlobStore, UploadId } from '../storage/blob-store.ts';
import type { MetadataStore } from '../storage/metadata-store.ts';
import type { Digest } from './digest.ts';

export interface GcReport {
  dryRun: boolean;
  staleUploads: number;
  orphanReferrers: number;
  unusedLinks: number;
  blobsRemoved: number;
  bytesFreed: number;
  orphanFiles: number;
}

export interface GcOptions {
  dryRun: boolean;
  /** Blobs and links touched more recently than this are spared: pushes in flight use them. */
  graceMs: number;
  uploadTtlMs: number;
  now?: number;
}

/**
 * Garbage collection, safe while the registry serves pushes. Order matters: referrers of deleted
 * subjects go first, then links no manifest uses, then blobs linked nowhere. Bytes are removed by
 * quarantine-then-recheck: an upload records its blob row before publishing the bytes, so a blob
 * whose row reappears while it is quarantined is put back. A dry run reports each stage's current
 * candidates without removing anything (so it cannot count what earlier stages would free).
 */
export async function collectGarbage(metadata: MetadataStore, blobs: BlobStore, opts: GcOptions): Promise<GcReport> {
  const now = opts.now ?? Date.now();
  const apply = !opts.dryRun;
  const before = now - opts.graceMs;
  const report: GcReport = {
    dryRun: opts.dryRun,
    staleUploads: await sweepUploads(metadata, blobs, now - opts.uploadTtlMs, apply),
    orphanReferrers: (await metadata.garbage.orphanReferrers(before, apply)).length,
    unusedLinks: (await metadata.garbage.unusedLinks(before, apply)).length,
    blobsRemoved: 0,
    bytesFreed: 0,
    orphanFiles: 0,
  };
  for (const digest of await metadata.garbage.unlinkedBlobs(before, apply)) {
    const size = (await blobs.stat(digest))?.size ?? 0;
    if (apply && !(await removeBytes(metadata, blobs, digest))) continue;
    report.blobsRemoved++;
    report.bytesFreed += size;
  }
  for await (const digest of blobs.list()) {
    if (await metadata.garbage.isKnown(digest)) continue;
    const size = (await blobs.stat(digest))?.size ?? 0;
    if (apply && !(await removeBytes(metadata, blobs, digest))) continue;
    report.orphanFiles++;
    report.bytesFreed += size;
  }
  return report;
}

/** Removes a blob's bytes unless its row came back meanwhile; true when removed. */
async function removeBytes(metadata: MetadataStore, blobs: BlobStore, digest: Digest): Promise<boolean> {
  if (!(await blobs.quarantine(digest))) return false;
  if (await metadata.garbage.isKnown(digest)) {
    await blobs.restore(digest);
    return false;
  }
  await blobs.delete(digest);
  return true;
}

async function sweepUploads(metadata: MetadataStore, blobs: BlobStore, before: number, apply: boolean): Promise<number> {
  const stale = new Set<UploadId>((await metadata.uploads.stale(before)).map((s) => s.id));
  // Bytes whose session was never recorded (a crash between the two) are stale as well.
  for (const id of await blobs.uploads.listStale(before)) {
    if (!(await metadata.uploads.get(id))) stale.add(id);
  }
  if (apply) {
    for (const id of stale) {
      await metadata.uploads.delete(id);
      await blobs.uploads.abort(id);
    }
  }
  return stale.size;
}
