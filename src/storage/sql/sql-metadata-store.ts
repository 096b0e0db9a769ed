import { sql, type Kysely } from 'kysely';
import type { MetadataStore } from '../metadata-store.ts';
import { accessRecords } from './access-records.ts';
import { attributeIndex } from './attribute-index.ts';
import { auditLog } from './audit-log.ts';
import { blobIndex } from './blob-index.ts';
import { guarded, toStoreError } from './errors.ts';
import { garbageIndex } from './garbage-index.ts';
import { importOperationStore } from './import-operations.ts';
import { manifestIndex } from './manifest-index.ts';
import { registrySettingsStore } from './registry-settings.ts';
import { repositoryIndex } from './repository-index.ts';
import type { Database, SqlContext, SqlKind } from './schema.ts';
import { serverKeys } from './server-keys.ts';
import { tagIndex } from './tag-index.ts';
import { trustDocs } from './trust-docs.ts';
import { uploadSessions } from './upload-sessions.ts';
import { webhookStore } from './webhooks.ts';

/**
 * The MetadataStore over an open, migrated Kysely database: the same queries for SQLite and
 * PostgreSQL. Every backend error reaches callers as a WharfError (see errors.ts).
 */
export function sqlMetadataStore(db: Kysely<Database>, kind: SqlKind): MetadataStore {
  const ctx: SqlContext = { db, kind, now: () => Date.now() };
  return {
    repositories: guarded(repositoryIndex(ctx)),
    blobs: guarded(blobIndex(ctx)),
    manifests: guarded(manifestIndex(ctx)),
    tags: guarded(tagIndex(ctx)),
    attributes: guarded(attributeIndex(ctx)),
    uploads: guarded(uploadSessions(ctx)),
    garbage: guarded(garbageIndex(ctx)),
    trust: guarded(trustDocs(ctx)),
    serverKeys: guarded(serverKeys(ctx)),
    access: accessRecords(ctx),
    settings: guarded(registrySettingsStore(ctx)),
    audit: guarded(auditLog(ctx)),
    webhooks: guarded(webhookStore(ctx)),
    imports: guarded(importOperationStore(ctx)),
    async ping(): Promise<void> {
      try {
        await sql`select 1`.execute(db);
      } catch (err) {
        throw toStoreError(err);
      }
    },
    async close(): Promise<void> {
      await db.destroy();
    },
  };
}
