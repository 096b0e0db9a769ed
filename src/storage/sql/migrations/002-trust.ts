import { sql, type Kysely, type Migration } from 'kysely';
import type { SqlKind } from '../schema.ts';
import { columnTypes } from './column-types.ts';

/**
 * Notary trust data (shared/specs/notary-trust-api.md 6.3 step 5, 7.4, 8, 9): every version of
 * every TUF role per GUN, the changefeed, and the server-held snapshot and timestamp keys.
 * Text keys use the "C" collation on PostgreSQL, as in 001-initial. Flags are `boolean` on
 * PostgreSQL and 0/1 `integer` on SQLite; both accept 0/1 parameters.
 */
export function trustMigration(kind: SqlKind): Migration {
  const isPostgres = kind === 'postgres';
  const { key, int, bytes, flag } = columnTypes(kind);

  return {
    async up(db: Kysely<any>): Promise<void> {
      // The primary key is what makes two concurrent publishers of one version conflict.
      await db.schema
        .createTable('trust_docs')
        .addColumn('gun', key, (c) => c.notNull())
        .addColumn('role', key, (c) => c.notNull())
        .addColumn('version', int, (c) => c.notNull())
        .addColumn('sha256', key, (c) => c.notNull())
        .addColumn('content', bytes, (c) => c.notNull())
        .addColumn('created_at', int, (c) => c.notNull())
        .addPrimaryKeyConstraint('trust_docs_pk', ['gun', 'role', 'version'])
        .execute();
      await db.schema.createIndex('trust_docs_sha256').on('trust_docs').columns(['gun', 'role', 'sha256']).execute();

      await db.schema
        .createTable('trust_changes')
        .addColumn('id', int, (c) => (isPostgres ? c.generatedAlwaysAsIdentity().primaryKey() : c.primaryKey().autoIncrement()))
        .addColumn('gun', key, (c) => c.notNull())
        .addColumn('version', int, (c) => c.notNull())
        .addColumn('sha256', key, (c) => c.notNull())
        .addColumn('category', sql`text`, (c) => c.notNull().check(sql`category in ('update', 'deletion')`))
        .addColumn('created_at', int, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('trust_changes_gun').on('trust_changes').columns(['gun', 'id']).execute();

      await db.schema
        .createTable('server_keys')
        .addColumn('gun', key, (c) => c.notNull())
        .addColumn('role', key, (c) => c.notNull().check(sql`role in ('snapshot', 'timestamp')`))
        .addColumn('key_id', key, (c) => c.notNull())
        .addColumn('key_type', sql`text`, (c) => c.notNull())
        .addColumn('public_key', sql`text`, (c) => c.notNull())
        .addColumn('sealed_private', bytes, (c) => c.notNull())
        .addColumn('is_pending', flag, (c) => c.notNull())
        .addColumn('retired', flag, (c) => c.notNull())
        .addColumn('created_at', int, (c) => c.notNull())
        .addPrimaryKeyConstraint('server_keys_pk', ['gun', 'role', 'key_id'])
        .execute();
      // At most one pending, unretired key per (gun, role): ServerKeys.pending inserts with
      // ON CONFLICT DO NOTHING on this index, so concurrent callers converge on one key. The
      // upsert repeats this predicate word for word (server-keys.ts): SQLite requires it.
      await db.schema
        .createIndex('server_keys_one_pending')
        .on('server_keys')
        .columns(['gun', 'role'])
        .unique()
        .where(sql<boolean>`is_pending and not retired`)
        .execute();
    },

    async down(db: Kysely<any>): Promise<void> {
      for (const table of ['server_keys', 'trust_changes', 'trust_docs']) {
        await db.schema.dropTable(table).execute();
      }
    },
  };
}
