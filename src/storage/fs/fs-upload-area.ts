import { createHash, randomUUID, type Hash } from 'node:crypto';
import { createWriteStream, type BigIntStats, type WriteStream } from 'node:fs';
import { chmod, open, readdir, rename, stat, truncate, unlink, utimes, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { WharfError } from '../../errors/wharf-error.ts';
import { algorithmOf, DigestingStream, finishHash, type Digest, type DigestAlgorithm } from '../../oci/digest.ts';
import type { UploadArea, UploadId } from '../blob-store.ts';
import { fsyncDir, guarded, isNotFound, isUploadId, statOrUndefined, type FsLayout } from './fs-layout.ts';

/** Re-reads for hashing go through one buffer of this size. */
const READ_CHUNK = 1 << 20;
/** Lets hashing of the next chunks overlap the write of the previous ones. */
const WRITE_HIGH_WATER_MARK = 1 << 20;
/** Hash states kept in memory at most; the oldest go first (an evicted upload is re-read at commit). */
const MAX_HASH_STATES = 10_000;

/** What a file looked like right after this process last wrote it; any later write changes it. */
interface FileIdentity {
  ino: bigint;
  size: bigint;
  mtimeNs: bigint;
}

/** The running sha256 of an upload's first `offset` bytes, valid while the file keeps `identity`. */
interface HashState {
  offset: number;
  hash: Hash;
  identity: FileIdentity;
}

/**
 * Uploads as plain files under uploads/. Appends are hashed (sha256) on the way to disk and the
 * running state is kept in memory, so committing a sha256 upload written by this process costs no
 * re-read. The state is used only while the file is exactly as this process left it (see
 * `stampFile`): after a restart, an append on another node, or for sha512, commit re-reads the bytes.
 */
export class FsUploadArea implements UploadArea {
  private readonly states = new Map<UploadId, HashState>();

  constructor(private readonly layout: FsLayout) {}

  async create(): Promise<UploadId> {
    const id = randomUUID() as UploadId;
    await guarded(() => writeFile(join(this.layout.uploads, id), '', { flag: 'wx' }));
    return id;
  }

  async size(id: UploadId): Promise<number | undefined> {
    const path = this.layout.uploadPath(id);
    if (path === undefined) return undefined;
    return guarded(async () => (await statOrUndefined(path))?.size);
  }

  async append(id: UploadId, offset: number, body: Readable, signal?: AbortSignal): Promise<number> {
    if (!Number.isSafeInteger(offset) || offset < 0) throw new WharfError('RANGE_INVALID', 'invalid upload offset');
    const path = this.uploadPathOrThrow(id);
    signal?.throwIfAborted();
    const held = await guarded(() => statOrUndefined(path, true));
    if (held === undefined) throw new WharfError('BLOB_UPLOAD_UNKNOWN');
    if (BigInt(offset) > held.size) {
      throw new WharfError('RANGE_INVALID', 'offset is beyond the bytes received', { detail: { size: Number(held.size) } });
    }
    // Taken out of the map for the duration: a concurrent commit must not use a state in flux.
    const prior = this.takeState(id, held);
    const resumed = prior?.offset === offset ? prior : undefined;
    const hash = resumed ? resumed.hash.copy() : offset === 0 ? createHash('sha256') : undefined;
    if (BigInt(offset) < held.size) await guarded(() => truncate(path, offset));
    let size: number;
    try {
      size = offset + (await writeAt(path, offset, body, hash, signal));
    } catch (err) {
      // Whatever reached the file past `offset` is dropped; a failed truncate is harmless because
      // the next append truncates first and commit hashes only the bytes it is told about.
      await truncate(path, offset).catch(() => undefined);
      if (resumed) await this.keepState(id, path, offset, resumed.hash).catch(() => undefined);
      throw err;
    }
    if (hash !== undefined) await this.keepState(id, path, size, hash).catch(() => undefined);
    return size;
  }

  async commit(id: UploadId, size: number, expected: Digest): Promise<void> {
    if (!Number.isSafeInteger(size) || size < 0) throw new WharfError('SIZE_INVALID');
    const path = this.uploadPathOrThrow(id);
    const target = this.layout.blobPath(expected);
    await guarded(async () => {
      const handle = await openUpload(path);
      let isStored: boolean;
      try {
        const held = await handle.stat({ bigint: true });
        if (BigInt(size) > held.size) {
          throw new WharfError('SIZE_INVALID', 'upload holds fewer bytes than its size', { detail: { size: Number(held.size) } });
        }
        const actual = await this.digestOf(id, handle, held, size, algorithmOf(expected));
        if (actual !== expected) throw new WharfError('DIGEST_INVALID');
        // Content addressing: bytes already stored under this digest are the same bytes.
        isStored = (await statOrUndefined(target)) !== undefined;
        if (!isStored) {
          // Bytes past `size` (an append cut short by a crash) are not part of the blob.
          if (BigInt(size) < held.size) await handle.truncate(size);
          await handle.sync();
        }
      } finally {
        await handle.close();
      }
      if (isStored) await unlink(path);
      else await this.publish(path, expected, target);
      this.states.delete(id);
    });
  }

  async abort(id: UploadId): Promise<void> {
    const path = this.layout.uploadPath(id);
    if (path === undefined) return;
    this.states.delete(id);
    await guarded(async () => {
      try {
        await unlink(path);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    });
  }

  async listStale(before: number): Promise<UploadId[]> {
    return guarded(async () => {
      const stale: UploadId[] = [];
      for (const name of await readdir(this.layout.uploads)) {
        if (!isUploadId(name)) continue;
        const info = await statOrUndefined(join(this.layout.uploads, name));
        if (info !== undefined && info.mtimeMs < before) stale.push(name);
      }
      return stale;
    });
  }

  /** Renames the verified, synced upload into blobs/ and makes the new entry durable. */
  private async publish(path: string, digest: Digest, target: string): Promise<void> {
    const dir = await this.layout.ensureBlobDir(digest);
    await rename(path, target);
    await fsyncDir(dir);
    await chmod(target, 0o444);
  }

  /** The digest of the upload's first `size` bytes: from the in-memory state when valid, else re-read. */
  private async digestOf(id: UploadId, handle: FileHandle, held: BigIntStats, size: number, algorithm: DigestAlgorithm): Promise<Digest> {
    const state = this.states.get(id);
    if (algorithm === 'sha256' && state?.offset === size && isSameFile(state.identity, held)) {
      return finishHash(algorithm, state.hash.copy());
    }
    const hash = createHash(algorithm);
    const buffer = Buffer.allocUnsafe(Math.min(READ_CHUNK, size));
    for (let position = 0; position < size; ) {
      const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, size - position), position);
      if (bytesRead === 0) throw new Error(`upload shrank to ${position} bytes while hashing`);
      hash.update(buffer.subarray(0, bytesRead));
      position += bytesRead;
    }
    return finishHash(algorithm, hash);
  }

  private takeState(id: UploadId, held: BigIntStats): HashState | undefined {
    const state = this.states.get(id);
    this.states.delete(id);
    return state && isSameFile(state.identity, held) ? state : undefined;
  }

  private async keepState(id: UploadId, path: string, offset: number, hash: Hash): Promise<void> {
    const identity = await stampFile(path);
    if (identity === undefined || identity.size !== BigInt(offset)) return;
    this.states.set(id, { offset, hash, identity });
    if (this.states.size > MAX_HASH_STATES) {
      const oldest = this.states.keys().next();
      if (!oldest.done) this.states.delete(oldest.value);
    }
  }

  private uploadPathOrThrow(id: UploadId): string {
    const path = this.layout.uploadPath(id);
    if (path === undefined) throw new WharfError('BLOB_UPLOAD_UNKNOWN');
    return path;
  }
}

/**
 * Streams `body` into the file at `offset`, hashing on the way when `hash` is given; returns the
 * bytes written. Errors from the body (a client gone) and aborts propagate unchanged; errors of the
 * file become UNAVAILABLE. Resolves or rejects only once the file is closed, so nothing lands later.
 */
async function writeAt(path: string, offset: number, body: Readable, hash: Hash | undefined, signal?: AbortSignal): Promise<number> {
  const out = createWriteStream(path, { flags: 'r+', start: offset, highWaterMark: WRITE_HIGH_WATER_MARK });
  let firstFailing: 'body' | 'file' | undefined;
  out.once('error', () => (firstFailing ??= 'file'));
  body.once('error', () => (firstFailing ??= 'body'));
  try {
    if (hash === undefined) await pipeline(body, out, { signal });
    else await pipeline(body, new DigestingStream('sha256', hash, offset), out, { signal });
    return out.bytesWritten;
  } catch (err) {
    await closeOf(out);
    if (firstFailing !== 'file' || signal?.aborted) throw err;
    if (isNotFound(err)) throw new WharfError('BLOB_UPLOAD_UNKNOWN');
    throw new WharfError('UNAVAILABLE', 'blob storage failed', { cause: err });
  }
}

function closeOf(stream: WriteStream): Promise<void> {
  return new Promise((resolve) => (stream.closed ? resolve() : stream.once('close', () => resolve())));
}

/**
 * Sets the file's mtime to a value no write produces (two seconds back, random below the
 * millisecond) and returns the identity to recognise it by. Any later write or truncate, by this
 * process or another node, sets mtime to about "now", so a hash state is trusted only while the file
 * is untouched, even on filesystems with coarse timestamps. Undefined when a write raced the stamp.
 */
async function stampFile(path: string): Promise<FileIdentity | undefined> {
  const now = Date.now();
  const stamp = (now - 2000 - Math.random()) / 1000;
  await utimes(path, stamp, stamp);
  const info = await stat(path, { bigint: true });
  if (info.mtimeMs >= BigInt(now - 1000)) return undefined;
  return { ino: info.ino, size: info.size, mtimeNs: info.mtimeNs };
}

function isSameFile(identity: FileIdentity, info: BigIntStats): boolean {
  return identity.ino === info.ino && identity.size === info.size && identity.mtimeNs === info.mtimeNs;
}

async function openUpload(path: string): Promise<FileHandle> {
  try {
    return await open(path, 'r+');
  } catch (err) {
    if (isNotFound(err)) throw new WharfError('BLOB_UPLOAD_UNKNOWN');
    throw err;
  }
}
