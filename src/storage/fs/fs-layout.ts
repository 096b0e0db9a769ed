import type { BigIntStats, Stats } from 'node:fs';
import { mkdir, open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { WharfError } from '../../errors/wharf-error.ts';
import { algorithmOf, hexOf, tryParseDigest, type Digest } from '../../oci/digest.ts';
import type { UploadId } from '../blob-store.ts';

// crypto.randomUUID() output; anything else cannot name an upload (and cannot escape uploads/).
const UPLOAD_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Where the filesystem driver keeps things, all on one filesystem so that rename() is atomic:
 * ```
 * <root>/
 *   blobs/<alg>/<first 2 hex>/<hex>   committed content, read-only, only ever created by rename()
 *   uploads/<id>                      one file per upload: the bytes received so far
 *   trash/<alg>-<hex>                 blobs quarantined by garbage collection
 *   tmp/                              scratch space, emptied at start-up
 * ```
 */
export class FsLayout {
  readonly blobs: string;
  readonly uploads: string;
  readonly trash: string;
  readonly tmp: string;

  constructor(readonly root: string) {
    this.blobs = join(root, 'blobs');
    this.uploads = join(root, 'uploads');
    this.trash = join(root, 'trash');
    this.tmp = join(root, 'tmp');
  }

  async create(): Promise<void> {
    for (const dir of [this.blobs, this.uploads, this.trash, this.tmp]) await mkdir(dir, { recursive: true });
  }

  blobDir(digest: Digest): string {
    return join(this.blobs, algorithmOf(digest), hexOf(digest).slice(0, 2));
  }

  blobPath(digest: Digest): string {
    return join(this.blobDir(digest), hexOf(digest));
  }

  trashPath(digest: Digest): string {
    return join(this.trash, `${algorithmOf(digest)}-${hexOf(digest)}`);
  }

  /** The digest a trash entry holds, or undefined for a name this driver did not write. */
  digestOfTrashName(name: string): Digest | undefined {
    const dash = name.indexOf('-');
    return dash < 0 ? undefined : tryParseDigest(`${name.slice(0, dash)}:${name.slice(dash + 1)}`);
  }

  /** The upload's file, or undefined when `id` cannot name an upload. */
  uploadPath(id: UploadId): string | undefined {
    return isUploadId(id) ? join(this.uploads, id) : undefined;
  }

  /** Creates the blob's fan-out directories and makes their entries durable. */
  async ensureBlobDir(digest: Digest): Promise<string> {
    const dir = this.blobDir(digest);
    const firstCreated = await mkdir(dir, { recursive: true });
    if (firstCreated !== undefined) {
      await fsyncDir(join(this.blobs, algorithmOf(digest)));
      await fsyncDir(this.blobs);
    }
    return dir;
  }
}

export function isUploadId(value: string): value is UploadId {
  return UPLOAD_ID.test(value);
}

/** Makes a directory's entries (creations, renames, removals) durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

/** Runs a filesystem operation; failures other than WharfErrors become UNAVAILABLE (paths stay in `cause`). */
export async function guarded<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof WharfError) throw err;
    throw new WharfError('UNAVAILABLE', 'blob storage failed', { cause: err });
  }
}

/** The file's stats, or undefined when it does not exist. */
export async function statOrUndefined(path: string): Promise<Stats | undefined>;
export async function statOrUndefined(path: string, bigint: true): Promise<BigIntStats | undefined>;
export async function statOrUndefined(path: string, bigint = false): Promise<Stats | BigIntStats | undefined> {
  try {
    return await stat(path, { bigint });
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}
