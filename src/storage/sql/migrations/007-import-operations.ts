import { sql, type Kysely, type Migration } from 'kysely';
import type { SqlKind } from '../schema.ts';
import { columnTypes } from './column-types.ts';

/**
 * Import operations (`wharf import`, GET /api/operations/<id>), so that they outlive the process
 * that runs them and every node sharing the database can show them. `node` names the process
 * running an operation and `heartbeat_at` is its last sign of life: operations left InProgress by
 * a process that is gone are ended as Failed (docs/import.md). Finished ones are pruned by
 * `ended_at`.
 */
export function importOperationsMigration(kind: SqlKind): Migration {
  const { key, int } = columnTypes(kind);
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('import_operations')
        .addColumn('id', key, (c) => c.primaryKey())
        .addColumn('owner_id', sql`text`, (c) => c.notNull())
        .addColumn('source', sql`text`, (c) => c.notNull())
        .addColumn('targets', sql`text`, (c) => c.notNull())
        .addColumn('node', sql`text`, (c) => c.notNull())
        .addColumn('status', sql`text`, (c) => c.notNull().check(sql`status in ('InProgress', 'Succeeded', 'Failed')`))
        .addColumn('error_code', sql`text`)
        .addColumn('error_message', sql`text`)
        .addColumn('manifests', int, (c) => c.notNull())
        .addColumn('blobs_copied', int, (c) => c.notNull())
        .addColumn('blobs_skipped', int, (c) => c.notNull())
        .addColumn('bytes_copied', int, (c) => c.notNull())
        .addColumn('started_at', int, (c) => c.notNull())
        .addColumn('heartbeat_at', int, (c) => c.notNull())
        .addColumn('ended_at', int)
        .execute();
      await db.schema.createIndex('import_operations_running').on('import_operations').columns(['status', 'heartbeat_at']).execute();
      await db.schema.createIndex('import_operations_ended').on('import_operations').columns(['ended_at']).execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropTable('import_operations').execute();
    },
  };
}
