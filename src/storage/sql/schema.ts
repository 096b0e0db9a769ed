import type { Kysely } from 'kysely';

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
}

export interface RepositoryRow {
  name: string;
  created_at: number;
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

export interface ManifestRow {
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

export interface TagRow {
  repo: string;
  tag: string;
  digest: string;
  updated_at: number;
}

export interface UploadRow {
  id: string;
  repo: string;
  offset: number;
  started_at: number;
  updated_at: number;
}

/** What every index implementation receives. */
export interface SqlContext {
  readonly db: Kysely<Database>;
  readonly kind: SqlKind;
  /** Milliseconds since the epoch. */
  now(): number;
}
