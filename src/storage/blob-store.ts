import type { Readable } from 'node:stream';
import type { Digest } from '../oci/digest.ts';

export type UploadId = string & { readonly __brand: 'UploadId' };

/** An inclusive byte range, as HTTP Range and Content-Range write it. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Content-addressed bytes; knows nothing of repositories or users.
 * Visibility to clients is decided by the metadata store: a blob file without a metadata row
 * is invisible and garbage collection removes it.
 */
export interface BlobStore {
  /** Size of a committed blob; undefined when absent (absence is not an exception). */
  stat(digest: Digest): Promise<{ size: number } | undefined>;
  /**
   * Streams a committed blob or an inclusive byte range; throws BLOB_UNKNOWN when absent and
   * RANGE_INVALID when the range falls outside the blob.
   */
  read(digest: Digest, range?: ByteRange): Promise<Readable>;
  /**
   * Opens a committed blob for random access (serving downloads with reused buffers); throws
   * BLOB_UNKNOWN when absent. The bytes stay readable until `close`, even if the blob is deleted.
   */
  openReader(digest: Digest): Promise<BlobReader>;
  /** Idempotent; removes the quarantined copy when there is one. Only garbage collection calls it. */
  delete(digest: Digest): Promise<void>;
  /**
   * Moves a committed blob aside so that garbage collection can re-check the metadata before
   * deleting it for good; `restore` puts it back. Both are idempotent.
   */
  quarantine(digest: Digest): Promise<boolean>;
  restore(digest: Digest): Promise<void>;
  /** Every committed digest, for garbage collection. */
  list(): AsyncIterable<Digest>;
  /** At start-up: empties scratch space and restores quarantined blobs (garbage collection decides again). */
  cleanLeftovers(): Promise<void>;
  readonly uploads: UploadArea;
}

/** Random access to one committed blob. */
export interface BlobReader {
  readonly size: number;
  /** Reads up to `length` bytes at `position` into the start of `into`; returns how many (0 at the end). */
  read(into: Buffer, length: number, position: number): Promise<number>;
  /** Idempotent. */
  close(): Promise<void>;
}

/** Staging for chunked uploads; any node sharing the storage may receive any chunk. */
export interface UploadArea {
  /** Creates an empty upload. */
  create(): Promise<UploadId>;
  /** Bytes received so far; undefined when the upload is unknown. */
  size(id: UploadId): Promise<number | undefined>;
  /**
   * Appends `body` at `offset`. Bytes past `offset` left by an interrupted append are discarded
   * first. Rejects with RANGE_INVALID when `offset` is beyond the bytes held, BLOB_UPLOAD_UNKNOWN
   * when the upload is unknown. Returns the new size. On failure the upload keeps `offset` bytes.
   */
  append(id: UploadId, offset: number, body: Readable, signal?: AbortSignal): Promise<number>;
  /**
   * Publishes the first `size` bytes as a committed blob, atomically, if they hash to `expected`;
   * otherwise throws DIGEST_INVALID and publishes nothing (the upload stays as it was).
   * SIZE_INVALID when fewer than `size` bytes are held; BLOB_UPLOAD_UNKNOWN for an unknown upload.
   */
  commit(id: UploadId, size: number, expected: Digest): Promise<void>;
  /** Removes the upload's bytes; idempotent. */
  abort(id: UploadId): Promise<void>;
  /** Upload ids whose bytes were last written before `before` (ms epoch). */
  listStale(before: number): Promise<UploadId[]>;
}
