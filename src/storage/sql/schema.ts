import type { ColumnType, Generated, Kysely } from 'kysely';

/** The SQL dialects Wharf's metadata queries run on; a few statements differ by dialect. */
export type SqlKind = 'sqlite' | 'postgres';

/**
 * Table types for Kysely. Times are milliseconds since the epoch and sizes are bytes: `integer` on
 * SQLite, `bigint` on PostgreSQL (parsed as Number by the pool, see open.ts).
 */
export interface Database {
  repositories: RepositoryRow;
  blobs: BlobRow;
  repository_blobs: RepositoryBlobRow;
  manifests: ManifestRow;
  manifest_refs: ManifestRefRow;
  tags: TagRow;
  uploads: UploadRow;
  trust_docs: TrustDocRow;
  trust_changes: TrustChangeRow;
  server_keys: ServerKeyRow;
}

export interface RepositoryRow extends AttributeColumns {
  name: string;
  created_at: number;
}

/** ACR's changeable attributes (migration 006); the columns default to on. */
export interface AttributeColumns {
  delete_enabled: DefaultOnFlag;
  write_enabled: DefaultOnFlag;
  read_enabled: DefaultOnFlag;
  list_enabled: DefaultOnFlag;
}

/** A blob whose bytes are committed in the blob store. */
export interface BlobRow {
  digest: string;
  size: number;
  last_seen_at: number;
}

/** A blob's membership in a repository (FK digest → blobs.digest). */
export interface RepositoryBlobRow {
  repo: string;
  digest: string;
  last_used_at: number;
}

export interface ManifestRow extends AttributeColumns {
  repo: string;
  digest: string;
  media_type: string;
  size: number;
  /** The exact bytes received. */
  content: Buffer;
  subject: string | null;
  artifact_type: string | null;
  annotations: string | null;
  created_at: number;
}

/** What a manifest references: its config and layers ('blob') or an index's children ('manifest'). */
export interface ManifestRefRow {
  repo: string;
  manifest_digest: string;
  child: string;
  kind: 'blob' | 'manifest';
}

export interface TagRow extends AttributeColumns {
  repo: string;
  tag: string;
  digest: string;
  /** Null only for rows written before migration 006 set it. */
  created_at: ColumnType<number | null, number | undefined, number>;
  updated_at: number;
}

export interface UploadRow {
  id: string;
  repo: string;
  offset: number;
  started_at: number;
  updated_at: number;
}

/** One stored version of one TUF role of a GUN (primary key gun, role, version). */
export interface TrustDocRow {
  gun: string;
  role: string;
  version: number;
  /** Lowercase hex SHA-256 of `content`. */
  sha256: string;
  /** The exact bytes uploaded or signed. */
  content: Buffer;
  created_at: number;
}

/** A changefeed record; `id` increases with every insert. */
export interface TrustChangeRow {
  id: Generated<number>;
  gun: string;
  version: number;
  sha256: string;
  category: 'update' | 'deletion';
  created_at: number;
}

/** A flag: `boolean` on PostgreSQL, 0/1 on SQLite; written as 0/1, which both accept. */
export type Flag = ColumnType<boolean | number, 0 | 1, 0 | 1>;
/** A flag with a default of on, which inserts may leave out. */
export type DefaultOnFlag = ColumnType<boolean | number, 0 | 1 | undefined, 0 | 1>;

export interface ServerKeyRow {
  gun: string;
  role: string;
  key_id: string;
  key_type: string;
  public_key: string;
  /** Key-vault sealed PKCS#8 private key. */
  sealed_private: Buffer;
  is_pending: Flag;
  retired: Flag;
  created_at: number;
}

/** What every index implementation receives. */
export interface SqlContext {
  readonly db: Kysely<Database>;
  readonly kind: SqlKind;
  /** Milliseconds since the epoch. */
  now(): number;
}
