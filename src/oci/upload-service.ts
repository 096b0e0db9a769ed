import { Readable } from 'node:stream';
import { requireWritable } from '../acr/locks.ts';
import { WharfError } from '../errors/wharf-error.ts';
import type { BlobStore, UploadId } from '../storage/blob-store.ts';
import type { MetadataStore, UploadSession } from '../storage/metadata-store.ts';
import type { Digest } from './digest.ts';
import type { RepoName } from './names.ts';

/** A chunk as the client declared it: Content-Range start/end (inclusive) and Content-Length. */
export interface ChunkHeaders {
  range?: { start: number; end: number };
  length?: number;
}

/** Blob uploads: sessions, chunks, commit with digest verification, cross-repository mount. */
export class UploadService {
  /** Uploads with a request in progress on this node; a second concurrent one is refused. */
  private readonly busy = new Set<string>();
  inFlight = 0;

  constructor(
    private readonly metadata: MetadataStore,
    private readonly blobs: BlobStore,
  ) {}

  /** A new upload session; DENIED while the repository is write-locked. */
  async start(repo: RepoName): Promise<UploadSession> {
    await requireWritable(this.metadata.attributes, repo, { kind: 'repository' });
    const id = await this.blobs.uploads.create();
    return this.metadata.uploads.create(id, repo);
  }

  /** The session, when it exists and belongs to the repository; BLOB_UPLOAD_UNKNOWN otherwise. */
  async status(repo: RepoName, id: string): Promise<UploadSession> {
    const session = await this.metadata.uploads.get(id as UploadId);
    if (!session || session.repo !== repo) throw new WharfError('BLOB_UPLOAD_UNKNOWN', undefined, { detail: { id } });
    return session;
  }

  /** Appends a chunk at the acknowledged offset; returns the new offset. */
  async append(repo: RepoName, id: string, chunk: ChunkHeaders, body: Readable): Promise<number> {
    return this.exclusive(id, async () => {
      const session = await this.status(repo, id);
      return this.appendChunk(session, chunk, body);
    });
  }

  /** Appends the final chunk (if any) and commits the upload as `digest`, linked into the repository. */
  async complete(repo: RepoName, id: string, digest: Digest, chunk: ChunkHeaders, body?: Readable): Promise<{ size: number }> {
    return this.exclusive(id, async () => {
      const session = await this.status(repo, id);
      const before = session.offset;
      const size = body ? await this.appendChunk(session, chunk, body) : before;
      try {
        // Recorded before the bytes are published, so garbage collection spares them (see gc.ts).
        await this.metadata.blobs.touch(digest, size);
        await this.blobs.uploads.commit(session.id, size, digest);
      } catch (err) {
        if (size !== before) await this.rollback(session, size, before);
        throw err;
      }
      await this.metadata.blobs.link(repo, digest);
      await this.metadata.uploads.delete(session.id);
      return { size };
    });
  }

  async cancel(repo: RepoName, id: string): Promise<void> {
    await this.exclusive(id, async () => {
      const session = await this.status(repo, id);
      await this.metadata.uploads.delete(session.id);
      await this.blobs.uploads.abort(session.id);
    });
  }

  /**
   * Links a blob the caller may read into `repo` without moving bytes: from `from` when named,
   * otherwise from any repository `mayPull` allows. False when there is nothing to mount; DENIED
   * while `repo` is write-locked.
   */
  async mount(repo: RepoName, digest: Digest, from: RepoName | undefined, mayPull: (r: RepoName) => Promise<boolean>): Promise<boolean> {
    await requireWritable(this.metadata.attributes, repo, { kind: 'repository' });
    const candidates = from ? [from] : await this.metadata.blobs.holders(digest, 20);
    for (const source of candidates) {
      if (!(await mayPull(source))) continue;
      if (!(await this.metadata.blobs.linked(source, digest))) continue;
      return this.metadata.blobs.link(repo, digest);
    }
    return false;
  }

  private async appendChunk(session: UploadSession, chunk: ChunkHeaders, body: Readable): Promise<number> {
    const offset = session.offset;
    if (chunk.range) {
      // distribution-spec: a chunk must start where the previous one ended, else 416.
      if (chunk.range.start !== offset || chunk.range.end < chunk.range.start) {
        throw rangeInvalid(offset, `chunk must start at offset ${offset}`);
      }
      const declared = chunk.range.end - chunk.range.start + 1;
      if (chunk.length !== undefined && chunk.length !== declared) {
        throw new WharfError('SIZE_INVALID', `Content-Length ${chunk.length} does not match Content-Range (${declared} bytes)`);
      }
    }
    const expected = chunk.range ? chunk.range.end - chunk.range.start + 1 : chunk.length;
    this.inFlight++;
    let size: number;
    try {
      size = await this.blobs.uploads.append(session.id, offset, body);
    } finally {
      this.inFlight--;
    }
    if (expected !== undefined && size - offset !== expected) {
      await this.rollback(session, size, offset);
      throw new WharfError('SIZE_INVALID', `received ${size - offset} bytes, expected ${expected}`);
    }
    if (size !== offset && !(await this.metadata.uploads.advance(session.id, offset, size))) {
      throw rangeInvalid(offset, 'upload was changed concurrently');
    }
    session.offset = size;
    return size;
  }

  /** Drops bytes past `to` (an empty append at `to` truncates) and rewinds the session. */
  private async rollback(session: UploadSession, from: number, to: number): Promise<void> {
    await this.blobs.uploads.append(session.id, to, Readable.from([]));
    if (session.offset === from) await this.metadata.uploads.advance(session.id, from, to);
    session.offset = to;
  }

  private async exclusive<T>(id: string, fn: () => Promise<T>): Promise<T> {
    if (this.busy.has(id)) throw new WharfError('RANGE_INVALID', 'another request is writing to this upload');
    this.busy.add(id);
    try {
      return await fn();
    } finally {
      this.busy.delete(id);
    }
  }
}

function rangeInvalid(offset: number, message: string): WharfError {
  return new WharfError('RANGE_INVALID', message, {
    headers: { Range: `0-${Math.max(0, offset - 1)}` },
  });
}
