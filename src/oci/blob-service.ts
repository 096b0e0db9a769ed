import { requireDeletable } from '../acr/locks.ts';
import { WharfError } from '../errors/wharf-error.ts';
import type { BlobReader, BlobStore } from '../storage/blob-store.ts';
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

  /** Opens a linked blob's bytes for sending; the caller closes the reader. */
  async open(digest: Digest): Promise<BlobReader> {
    return this.blobs.openReader(digest);
  }

  /** Removes the blob from the repository; its bytes go at the next garbage collection. DENIED while the repository is delete-locked. */
  async delete(repo: RepoName, digest: Digest): Promise<void> {
    await requireDeletable(this.metadata.attributes, repo, { kind: 'repository' });
    if (!(await this.metadata.blobs.unlink(repo, digest))) {
      throw new WharfError('BLOB_UNKNOWN', undefined, { detail: { digest } });
    }
  }
}
