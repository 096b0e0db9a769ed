import type { Digest } from '../oci/digest.ts';
import type { RepoName, Tag } from '../oci/names.ts';
import type { Gun, NewTrustDoc, ServerKeyRecord, ServerRole, TrustChange, TrustDoc, TufRole } from '../trust/types.ts';
import type { UploadId } from './blob-store.ts';

/**
 * Everything queryable about the registry. SQLite (default) and PostgreSQL implement it with the
 * same Kysely queries; both pass test/contract/metadata-store.test.ts.
 * Times are milliseconds since the epoch. Absence is `undefined`, never an exception; backend
 * failures throw WharfError('UNAVAILABLE').
 */
export interface MetadataStore {
  readonly repositories: RepositoryIndex;
  readonly blobs: BlobIndex;
  readonly manifests: ManifestIndex;
  readonly tags: TagIndex;
  readonly uploads: UploadSessions;
  readonly garbage: GarbageIndex;
  readonly trust: TrustDocs;
  readonly serverKeys: ServerKeys;
  /** Cheap round trip to the database, for /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface Page {
  /** Return only names sorted after this one. */
  last?: string;
  limit: number;
}

export interface RepositoryIndex {
  /** Repository names in ascending byte order. */
  list(page: Page): Promise<string[]>;
  /** A repository exists from its first blob link or manifest on; deleting its content does not remove it. */
  exists(repo: RepoName): Promise<boolean>;
}

export interface BlobIndex {
  /**
   * Records that the blob's bytes are committed in the blob store (insert, or refresh
   * `lastSeenAt` to now). Call before publishing the bytes: garbage collection spares blobs seen
   * within its grace period.
   */
  touch(digest: Digest, size: number): Promise<void>;
  /** Size of a blob known to the registry (in any repository). */
  size(digest: Digest): Promise<number | undefined>;
  /** Links a known blob into a repository (creating the repository); false when the blob is unknown. Idempotent. */
  link(repo: RepoName, digest: Digest): Promise<boolean>;
  /** The blob's size when it is linked into the repository. */
  linked(repo: RepoName, digest: Digest): Promise<{ size: number } | undefined>;
  /** Removes the link; false when there was none. The bytes stay until garbage collection. */
  unlink(repo: RepoName, digest: Digest): Promise<boolean>;
  /** Up to `limit` repositories the blob is linked into, in name order. */
  holders(digest: Digest, limit: number): Promise<RepoName[]>;
}

export interface ManifestInput {
  repo: RepoName;
  digest: Digest;
  mediaType: string;
  /** The exact bytes received; served back unchanged. */
  bytes: Buffer;
  /** Blobs (config, layers) that must be linked into the repository. */
  blobRefs: readonly Digest[];
  /** Child manifests (of an index) that must be in the repository. */
  manifestRefs: readonly Digest[];
  subject?: Digest;
  artifactType?: string;
  /** JSON text of the manifest's annotations, kept for the referrers API. */
  annotations?: string;
  /** Tag to point at the manifest in the same transaction. */
  tag?: Tag;
}

export interface StoredManifest {
  digest: Digest;
  mediaType: string;
  bytes: Buffer;
  createdAt: number;
}

export interface ReferrerRecord {
  digest: Digest;
  mediaType: string;
  size: number;
  artifactType?: string;
  annotations?: string;
}

export interface ManifestIndex {
  /**
   * Stores the manifest and its tag in one transaction if every blobRef is linked into the
   * repository and every manifestRef is a manifest of it; otherwise writes nothing and returns
   * the missing digests. Re-putting the same digest is idempotent (moves the tag only).
   * Refreshes the links it relies on so that garbage collection cannot remove them meanwhile.
   */
  put(input: ManifestInput): Promise<{ missing: Digest[] }>;
  get(repo: RepoName, digest: Digest): Promise<StoredManifest | undefined>;
  /** Deletes the manifest and every tag pointing at it; false when absent. */
  delete(repo: RepoName, digest: Digest): Promise<boolean>;
  /** Manifests of the repository whose subject is `subject`, optionally of one artifact type, by digest. */
  referrers(repo: RepoName, subject: Digest, artifactType?: string): Promise<ReferrerRecord[]>;
}

export interface TagIndex {
  resolve(repo: RepoName, tag: Tag): Promise<Digest | undefined>;
  /** Tags in ascending byte order; undefined when the repository does not exist. */
  list(repo: RepoName, page: Page): Promise<string[] | undefined>;
  /** Removes the tag (the manifest stays); false when absent. */
  delete(repo: RepoName, tag: Tag): Promise<boolean>;
}

export interface UploadSession {
  id: UploadId;
  repo: RepoName;
  /** Bytes acknowledged to the client. */
  offset: number;
  startedAt: number;
  updatedAt: number;
}

export interface UploadSessions {
  create(id: UploadId, repo: RepoName): Promise<UploadSession>;
  get(id: UploadId): Promise<UploadSession | undefined>;
  /** Moves the offset from `from` to `to`; false (and no change) when the offset was not `from`. */
  advance(id: UploadId, from: number, to: number): Promise<boolean>;
  /** Idempotent. */
  delete(id: UploadId): Promise<void>;
  /** Sessions not updated since `before`. */
  stale(before: number): Promise<UploadSession[]>;
}

/** What garbage collection may remove; each sweep re-checks its conditions as it deletes. */
export interface GarbageIndex {
  /**
   * Manifests that name a subject absent from their repository, are untagged and older than
   * `before`: referrers live as long as their subject. `apply` deletes them.
   */
  orphanReferrers(before: number, apply: boolean): Promise<{ repo: RepoName; digest: Digest }[]>;
  /** Links no manifest of their repository references, last used before `before`. */
  unusedLinks(before: number, apply: boolean): Promise<{ repo: RepoName; digest: Digest }[]>;
  /** Blobs linked nowhere and last seen before `before`; `apply` deletes their rows. */
  unlinkedBlobs(before: number, apply: boolean): Promise<Digest[]>;
  /** Whether a blob row exists (after a sweep, to decide whether its bytes may go). */
  isKnown(digest: Digest): Promise<boolean>;
}

/** TUF metadata per GUN: every version of every role, kept until the GUN's trust data is deleted. */
export interface TrustDocs {
  /**
   * Stores the documents of one publish (or one read-time re-signing) atomically. Each version must
   * be greater than every stored version of its role, else WharfError('TRUST_VERSION', detail {}) and nothing
   * is written; two concurrent publishers to one GUN (also on other nodes) cannot both succeed.
   * Appends one 'update' changefeed record per timestamp document stored.
   */
  putMany(gun: Gun, docs: readonly NewTrustDoc[]): Promise<void>;
  /** The highest stored version of the role. */
  latest(gun: Gun, role: TufRole): Promise<TrustDoc | undefined>;
  byVersion(gun: Gun, role: TufRole, version: number): Promise<TrustDoc | undefined>;
  /** Lookup by (gun, role, sha256) of the exact bytes; a checksum of another role's file is not found. */
  byChecksum(gun: Gun, role: TufRole, sha256Hex: string): Promise<TrustDoc | undefined>;
  /** Deletes every version of every role (exact GUN match); true, and a 'deletion' record, when something was deleted. */
  deleteGun(gun: Gun): Promise<boolean>;
  /**
   * Changefeed (spec section 9): with `records` > 0 the records after `changeId`, else the |records|
   * records before it (`changeId` -1: the newest); always oldest first. `gun` undefined: all GUNs.
   * `records` 0 means 100 (DEFAULT_CHANGE_RECORDS; the store applies it, as the reference's
   * handler does); a negative `changeId` reads backwards from the newest, as the reference does.
   * The caller bounds |records|.
   */
  changes(query: { gun?: Gun; changeId: number; records: number }): Promise<TrustChange[]>;
  /** GUNs with stored trust data, in byte order. */
  guns(): Promise<Gun[]>;
}

/** Server-held snapshot and timestamp keys (spec 7.4, E7, E8). */
export interface ServerKeys {
  /**
   * Every unretired key of (gun, role), oldest first. Records come back with `isPending` and
   * `createdAt` as the store set them (pending/rotate ignore those fields of the records given).
   */
  list(gun: Gun, role: ServerRole): Promise<ServerKeyRecord[]>;
  /**
   * The pending key of (gun, role), creating it from `make()` when there is none. Idempotent and
   * race-free: concurrent callers (also on other nodes) all get the same key.
   */
  pending(gun: Gun, role: ServerRole, make: () => Promise<ServerKeyRecord>): Promise<ServerKeyRecord>;
  /**
   * Rotation, in one transaction: the current pending key stops being pending (stays usable) and
   * `record` becomes pending. Concurrent rotations all land; the last one is pending.
   */
  rotate(gun: Gun, role: ServerRole, record: ServerKeyRecord): Promise<void>;
  /** After the GUN's trust data is deleted: its keys are retired (never listed or used again). */
  retireGun(gun: Gun): Promise<void>;
}
