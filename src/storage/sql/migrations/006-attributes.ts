import { sql, type Kysely, type Migration } from 'kysely';
import type { SqlKind } from '../schema.ts';
import { columnTypes } from './column-types.ts';

/** ACR's changeable attributes (/acr/v1), one flag column each; every row starts with all of them on. */
export const ATTRIBUTE_COLUMNS = ['delete_enabled', 'write_enabled', 'read_enabled', 'list_enabled'] as const;

/**
 * Changeable attributes on repositories, manifests and tags, where they live with their rows so
 * that deleting a tag or manifest takes its attributes along; and a tag's creation time (until now
 * only its last move was kept; existing tags take that as their creation time). SQLite adds one
 * column per statement.
 */
export function attributesMigration(kind: SqlKind): Migration {
  const { int, flag } = columnTypes(kind);
  const on = kind === 'postgres' ? sql`true` : sql`1`;
  return {
    async up(db: Kysely<any>): Promise<void> {
      for (const table of ['repositories', 'manifests', 'tags']) {
        for (const column of ATTRIBUTE_COLUMNS) {
          await db.schema.alterTable(table).addColumn(column, flag, (c) => c.notNull().defaultTo(on)).execute();
        }
      }
      await db.schema.alterTable('tags').addColumn('created_at', int).execute();
      await db.updateTable('tags').set({ created_at: sql`updated_at` }).execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('tags').dropColumn('created_at').execute();
      for (const table of ['tags', 'manifests', 'repositories']) {
        for (const column of ATTRIBUTE_COLUMNS) await db.schema.alterTable(table).dropColumn(column).execute();
      }
    },
  };
}
