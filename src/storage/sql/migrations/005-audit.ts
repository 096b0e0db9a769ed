import { sql, type Kysely, type Migration } from 'kysely';
import type { SqlKind } from '../schema.ts';
import { columnTypes } from './column-types.ts';

/**
 * The audit log (docs/audit.md) and webhooks. `audit_head` is one row (id 1) holding the last
 * record's seq and hash: every append locks it first, which makes appends from all nodes take
 * turns, and it lets verification notice records cut from the end. Deliveries are the webhook
 * outbox: rows written in the append transaction, sent in the background.
 */
export function auditMigration(kind: SqlKind): Migration {
  const isPostgres = kind === 'postgres';
  const { key, int, bytes } = columnTypes(kind);
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('audit_log')
        .addColumn('seq', int, (c) => c.primaryKey())
        .addColumn('time', int, (c) => c.notNull())
        .addColumn('action', key, (c) => c.notNull())
        .addColumn('actor', key, (c) => c.notNull())
        .addColumn('repository', key, (c) => c.notNull())
        .addColumn('subject', sql`text`, (c) => c.notNull())
        .addColumn('detail', sql`text`, (c) => c.notNull())
        .addColumn('prev_hash', sql`text`, (c) => c.notNull())
        .addColumn('hash', sql`text`, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('audit_log_action').on('audit_log').columns(['action', 'seq']).execute();
      await db.schema.createIndex('audit_log_repository').on('audit_log').columns(['repository', 'seq']).execute();
      await db.schema.createIndex('audit_log_time').on('audit_log').columns(['time']).execute();

      await db.schema
        .createTable('audit_head')
        .addColumn('id', int, (c) => c.primaryKey().check(sql`id = 1`))
        .addColumn('seq', int, (c) => c.notNull())
        .addColumn('hash', sql`text`, (c) => c.notNull())
        .execute();
      await db.insertInto('audit_head').values({ id: 1, seq: 0, hash: '0'.repeat(64) }).execute();

      await db.schema
        .createTable('webhooks')
        .addColumn('name_key', key, (c) => c.primaryKey())
        .addColumn('name', sql`text`, (c) => c.notNull())
        .addColumn('uri', sql`text`, (c) => c.notNull())
        .addColumn('actions', sql`text`, (c) => c.notNull())
        .addColumn('scope', sql`text`, (c) => c.notNull())
        .addColumn('status', sql`text`, (c) => c.notNull().check(sql`status in ('enabled', 'disabled')`))
        .addColumn('sealed_secret', bytes, (c) => c.notNull())
        .addColumn('sealed_headers', bytes)
        .addColumn('created_at', int, (c) => c.notNull())
        .addColumn('updated_at', int, (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('webhook_deliveries')
        .addColumn('id', int, (c) => (isPostgres ? c.generatedAlwaysAsIdentity().primaryKey() : c.primaryKey().autoIncrement()))
        .addColumn('webhook_key', key, (c) => c.notNull().references('webhooks.name_key').onDelete('cascade'))
        .addColumn('event_id', sql`text`, (c) => c.notNull())
        .addColumn('event_type', sql`text`, (c) => c.notNull())
        .addColumn('payload', sql`text`, (c) => c.notNull())
        .addColumn('status', sql`text`, (c) => c.notNull().check(sql`status in ('pending', 'delivered', 'failed')`))
        .addColumn('attempts', sql`text`, (c) => c.notNull())
        .addColumn('next_attempt_at', int, (c) => c.notNull())
        .addColumn('created_at', int, (c) => c.notNull())
        .addColumn('updated_at', int, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('webhook_deliveries_due').on('webhook_deliveries').columns(['status', 'next_attempt_at']).execute();
      await db.schema.createIndex('webhook_deliveries_webhook').on('webhook_deliveries').columns(['webhook_key', 'id']).execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      for (const table of ['webhook_deliveries', 'webhooks', 'audit_head', 'audit_log']) await db.schema.dropTable(table).execute();
    },
  };
}
