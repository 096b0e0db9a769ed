import type { Readable } from 'node:stream';
import { WharfError } from '../errors/wharf-error.ts';
import type { BlobStore, ByteRange } from '../storage/blob-store.ts';
import type { MetadataStore } from '../storage/metadata-store.ts';
import type { Digest } from './digest.ts';
import type { RepoName } from './names.ts';

/** Reading and unlinking committed blobs of a repository. */
export class BlobService {
  constructor(
    private readonly metadata: MetadataStore,
    private readonly blobs: BlobStore,
  ) {}

  /** Size of a blob linked into the repository; BLOB_UNKNOWN otherwise. */
  async stat(repo: RepoName, digest: Digest): Promise<{ size: number }> {
    const linked = await this.metadata.blobs.linked(repo, digest);
    if (!linked) throw new WharfError('BLOB_UNKNOWN', undefined, { detail: { digest } });
    return linked;
  }

  /** Streams a linked blob or a range of it (already validated against its size). */
  async read(digest: Digest, range?: ByteRange): Promise<Readable> {
    return this.blobs.read(digest, range);
  }

  /** Removes the blob from the repository; its bytes go at the next garbage collection. */
  async delete(repo: RepoName, digest: Digest): Promise<void> {
    if (!(await this.metadata.blobs.unlink(repo, digest))) {
      throw new WharfError('BLOB_UNKNOWN', undefined, { detail: { digest } });
    }
  }
}
