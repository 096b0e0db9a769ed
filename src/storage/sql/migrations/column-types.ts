import { sql, type RawBuilder } from 'kysely';
import type { SqlKind } from '../schema.ts';

/**
 * Column types that differ between the dialects. Text keys use the "C" collation on PostgreSQL so
 * that ORDER BY and `>` compare bytes, as SQLite's default BINARY collation does (pagination must
 * agree on both); flags are boolean on PostgreSQL and 0/1 integers on SQLite.
 */
export function columnTypes(kind: SqlKind): { key: RawBuilder<unknown>; int: RawBuilder<unknown>; bytes: RawBuilder<unknown>; flag: RawBuilder<unknown> } {
  const isPostgres = kind === 'postgres';
  return {
    key: isPostgres ? sql`text collate "C"` : sql`text`,
    int: isPostgres ? sql`bigint` : sql`integer`,
    bytes: isPostgres ? sql`bytea` : sql`blob`,
    flag: isPostgres ? sql`boolean` : sql`integer`,
  };
}
