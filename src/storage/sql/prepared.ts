import { CompiledQuery, type Compilable, type Kysely } from 'kysely';
import type { Database } from './schema.ts';

/**
 * Builds and compiles a query once, then runs it with fresh parameter values, in the order the
 * placeholders appear. Kysely otherwise builds and compiles the query tree on every call, which
 * costs more than the query itself on the manifest GET path.
 */
export function preparedQuery<Row>(db: Kysely<Database>, query: Compilable<Row>): (...params: unknown[]) => Promise<Row[]> {
  const { sql } = query.compile();
  return async (...params) => (await db.executeQuery<Row>(CompiledQuery.raw(sql, params))).rows;
}
