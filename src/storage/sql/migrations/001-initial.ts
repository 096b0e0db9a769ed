import { sql, type Kysely, type Migration } from 'kysely';
import type { SqlKind } from '../schema.ts';
import { columnTypes } from './column-types.ts';

/**
 * The initial schema. Text keys use the "C" collation on PostgreSQL so that ORDER BY and `>`
 * compare bytes, as SQLite's default BINARY collation does; pagination must agree on both.
 */
export function initialMigration(kind: SqlKind): Migration {
  const { key, int, bytes } = columnTypes(kind);

  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('repositories')
        .addColumn('name', key, (c) => c.primaryKey())
        .addColumn('created_at', int, (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('blobs')
        .addColumn('digest', key, (c) => c.primaryKey())
        .addColumn('size', int, (c) => c.notNull())
        .addColumn('last_seen_at', int, (c) => c.notNull())
        .execute();

      // No ON DELETE action: deleting a blob row that is still linked must fail (GC safety).
      await db.schema
        .createTable('repository_blobs')
        .addColumn('repo', key, (c) => c.notNull())
        .addColumn('digest', key, (c) => c.notNull())
        .addColumn('last_used_at', int, (c) => c.notNull())
        .addPrimaryKeyConstraint('repository_blobs_pk', ['repo', 'digest'])
        .addForeignKeyConstraint('repository_blobs_digest_fk', ['digest'], 'blobs', ['digest'])
        .execute();
      await db.schema.createIndex('repository_blobs_digest').on('repository_blobs').columns(['digest', 'repo']).execute();

      await db.schema
        .createTable('manifests')
        .addColumn('repo', key, (c) => c.notNull())
        .addColumn('digest', key, (c) => c.notNull())
        .addColumn('media_type', sql`text`, (c) => c.notNull())
        .addColumn('size', int, (c) => c.notNull())
        .addColumn('content', bytes, (c) => c.notNull())
        .addColumn('subject', key)
        .addColumn('artifact_type', sql`text`)
        .addColumn('annotations', sql`text`)
        .addColumn('created_at', int, (c) => c.notNull())
        .addPrimaryKeyConstraint('manifests_pk', ['repo', 'digest'])
        .execute();
      await db.schema.createIndex('manifests_subject').on('manifests').columns(['repo', 'subject']).execute();

      // Refs and tags go with their manifest, also when a GC sweep deletes it.
      await db.schema
        .createTable('manifest_refs')
        .addColumn('repo', key, (c) => c.notNull())
        .addColumn('manifest_digest', key, (c) => c.notNull())
        .addColumn('child', key, (c) => c.notNull())
        .addColumn('kind', sql`text`, (c) => c.notNull().check(sql`kind in ('blob', 'manifest')`))
        .addPrimaryKeyConstraint('manifest_refs_pk', ['repo', 'manifest_digest', 'child'])
        .addForeignKeyConstraint('manifest_refs_manifest_fk', ['repo', 'manifest_digest'], 'manifests', ['repo', 'digest'], (fk) =>
          fk.onDelete('cascade'),
        )
        .execute();
      await db.schema.createIndex('manifest_refs_child').on('manifest_refs').columns(['repo', 'child']).execute();

      await db.schema
        .createTable('tags')
        .addColumn('repo', key, (c) => c.notNull())
        .addColumn('tag', key, (c) => c.notNull())
        .addColumn('digest', key, (c) => c.notNull())
        .addColumn('updated_at', int, (c) => c.notNull())
        .addPrimaryKeyConstraint('tags_pk', ['repo', 'tag'])
        .addForeignKeyConstraint('tags_manifest_fk', ['repo', 'digest'], 'manifests', ['repo', 'digest'], (fk) =>
          fk.onDelete('cascade'),
        )
        .execute();
      await db.schema.createIndex('tags_digest').on('tags').columns(['repo', 'digest']).execute();

      await db.schema
        .createTable('uploads')
        .addColumn('id', key, (c) => c.primaryKey())
        .addColumn('repo', key, (c) => c.notNull())
        .addColumn('offset', int, (c) => c.notNull())
        .addColumn('started_at', int, (c) => c.notNull())
        .addColumn('updated_at', int, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('uploads_updated_at').on('uploads').column('updated_at').execute();
    },

    async down(db: Kysely<any>): Promise<void> {
      for (const table of ['uploads', 'tags', 'manifest_refs', 'manifests', 'repository_blobs', 'blobs', 'repositories']) {
        await db.schema.dropTable(table).execute();
      }
    },
  };
}
