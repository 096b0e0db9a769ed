import { open, readdir, rename, rm, unlink, type FileHandle } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { WharfError } from '../../errors/wharf-error.ts';
import { tryParseDigest, type Digest, type DigestAlgorithm } from '../../oci/digest.ts';
import type { BlobReader, BlobStore, ByteRange } from '../blob-store.ts';
import { FsLayout, guarded, isNotFound, statOrUndefined } from './fs-layout.ts';
import { FsUploadArea } from './fs-upload-area.ts';

/** Reads are served in chunks of this size: fewer syscalls and hash/socket writes per byte. */
const READ_HIGH_WATER_MARK = 1 << 20;
const ALGORITHMS: readonly DigestAlgorithm[] = ['sha256', 'sha512'];
const FAN_OUT = /^[a-f0-9]{2}$/;

/**
 * BlobStore on a local or shared filesystem (see FsLayout for the tree). A blob path only ever
 * appears through rename() of a fully written, fsynced, verified upload, so a crash never leaves a
 * partial file there. Several nodes may share the root if the filesystem gives atomic rename.
 */
export class FsBlobStore implements BlobStore {
  readonly uploads: FsUploadArea;

  private constructor(private readonly layout: FsLayout) {
    this.uploads = new FsUploadArea(layout);
  }

  /** Opens (creating when needed) the store under `root`. Call `cleanLeftovers` once at start-up. */
  static async open(root: string): Promise<FsBlobStore> {
    const layout = new FsLayout(resolve(root));
    await guarded(() => layout.create());
    return new FsBlobStore(layout);
  }

  async stat(digest: Digest): Promise<{ size: number } | undefined> {
    return guarded(async () => {
      const info = await statOrUndefined(this.layout.blobPath(digest));
      return info && { size: info.size };
    });
  }

  /**
   * Streams the blob, or the inclusive `range` of it; BLOB_UNKNOWN when absent, RANGE_INVALID (with
   * a Content-Range header giving the size) when the range is not within the blob. The file is
   * opened before returning, so a later delete does not cut the stream short.
   */
  async read(digest: Digest, range?: ByteRange): Promise<Readable> {
    if (range && !(Number.isSafeInteger(range.start) && Number.isSafeInteger(range.end) && 0 <= range.start && range.start <= range.end)) {
      throw new WharfError('RANGE_INVALID');
    }
    const handle = await guarded(async () => {
      try {
        return await open(this.layout.blobPath(digest), 'r');
      } catch (err) {
        if (isNotFound(err)) throw new WharfError('BLOB_UNKNOWN', undefined, { detail: { digest } });
        throw err;
      }
    });
    if (range) {
      const size = await guarded(async () => (await handle.stat()).size).catch(async (err: unknown) => {
        await handle.close();
        throw err;
      });
      if (range.end >= size) {
        await handle.close();
        throw new WharfError('RANGE_INVALID', undefined, { headers: { 'Content-Range': `bytes */${size}` } });
      }
    }
    return handle.createReadStream({ start: range?.start, end: range?.end, highWaterMark: READ_HIGH_WATER_MARK });
  }

  async openReader(digest: Digest): Promise<BlobReader> {
    return guarded(async () => {
      let handle: FileHandle;
      try {
        handle = await open(this.layout.blobPath(digest), 'r');
      } catch (err) {
        if (isNotFound(err)) throw new WharfError('BLOB_UNKNOWN', undefined, { detail: { digest } });
        throw err;
      }
      const { size } = await handle.stat().catch(async (err: unknown) => {
        await handle.close();
        throw err;
      });
      let closed: Promise<void> | undefined;
      return {
        size,
        read: async (into, length, position) => (await handle.read(into, 0, length, position)).bytesRead,
        close: () => (closed ??= handle.close()),
      };
    });
  }

  /**
   * Removes the quarantined copy when there is one (the bytes garbage collection re-checked),
   * otherwise the committed one: a blob committed again after its quarantine survives. Idempotent.
   */
  async delete(digest: Digest): Promise<void> {
    await guarded(async () => {
      if (!(await unlinkIfPresent(this.layout.trashPath(digest)))) await unlinkIfPresent(this.layout.blobPath(digest));
    });
  }

  /** Moves the blob to trash/; false when it was not committed (absent or already quarantined). */
  async quarantine(digest: Digest): Promise<boolean> {
    return guarded(async () => {
      try {
        await rename(this.layout.blobPath(digest), this.layout.trashPath(digest));
        return true;
      } catch (err) {
        if (isNotFound(err)) return false;
        throw err;
      }
    });
  }

  /** Moves a quarantined blob back; nothing to do when it is not in trash/. */
  async restore(digest: Digest): Promise<void> {
    await guarded(async () => {
      if ((await statOrUndefined(this.layout.trashPath(digest))) === undefined) return;
      await this.layout.ensureBlobDir(digest);
      try {
        await rename(this.layout.trashPath(digest), this.layout.blobPath(digest));
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    });
  }

  /** Every committed digest (quarantined ones excluded), fan-out directory by fan-out directory. */
  async *list(): AsyncIterable<Digest> {
    for (const algorithm of ALGORITHMS) {
      const algorithmDir = join(this.layout.blobs, algorithm);
      for (const prefix of await readdirIfPresent(algorithmDir)) {
        if (!FAN_OUT.test(prefix)) continue;
        for (const name of await readdirIfPresent(join(algorithmDir, prefix))) {
          const digest = name.startsWith(prefix) ? tryParseDigest(`${algorithm}:${name}`) : undefined;
          if (digest !== undefined) yield digest;
        }
      }
    }
  }

  /**
   * Start-up recovery: empties tmp/ and restores everything in trash/. A crash during garbage
   * collection thus never loses a blob; the next collection decides again from the metadata.
   */
  async cleanLeftovers(): Promise<void> {
    await guarded(async () => {
      for (const name of await readdir(this.layout.tmp)) {
        await rm(join(this.layout.tmp, name), { recursive: true, force: true });
      }
    });
    for (const name of await guarded(() => readdir(this.layout.trash))) {
      const digest = this.layout.digestOfTrashName(name);
      if (digest !== undefined) await this.restore(digest);
    }
  }
}

/** True when the file was there. */
async function unlinkIfPresent(path: string): Promise<boolean> {
  try {
    await unlink(path);
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

async function readdirIfPresent(dir: string): Promise<string[]> {
  return guarded(async () => {
    try {
      return await readdir(dir);
    } catch (err) {
      if (isNotFound(err)) return [];
      throw err;
    }
  });
}
