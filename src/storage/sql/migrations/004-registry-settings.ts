import { sql, type Kysely, type Migration } from 'kysely';
import type { SqlKind } from '../schema.ts';
import { columnTypes } from './column-types.ts';

/**
 * The registry's own record (access-and-policy.md 7): one row (id 1), made at first start, since
 * Wharf serves one registry per installation. `trust_policy` is JSON text, null until set.
 */
export function registrySettingsMigration(kind: SqlKind): Migration {
  const { int, flag } = columnTypes(kind);
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('registry_settings')
        .addColumn('id', int, (c) => c.primaryKey().check(sql`id = 1`))
        .addColumn('installation_id', sql`text`, (c) => c.notNull())
        .addColumn('name', sql`text`, (c) => c.notNull())
        .addColumn('anonymous_pull', flag, (c) => c.notNull())
        .addColumn('trust_policy', sql`text`)
        .addColumn('created_at', int, (c) => c.notNull())
        .addColumn('updated_at', int, (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropTable('registry_settings').execute();
    },
  };
}
