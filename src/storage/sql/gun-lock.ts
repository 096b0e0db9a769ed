import { sql, type Transaction } from 'kysely';
import type { Gun } from '../../trust/types.ts';
import type { Database, SqlContext } from './schema.ts';

/** Namespace of Wharf's per-GUN advisory locks (PostgreSQL's two-int4 key space, apart from Kysely's). */
const GUN_LOCK_SPACE = 0x77686172;

/**
 * Makes the writers of one GUN's trust data (publishes, deletions, key rotations) take turns
 * across connections and nodes, until the transaction ends. On PostgreSQL under READ COMMITTED
 * each later statement then sees what the previous holder committed. SQLite needs nothing: it
 * runs every transaction on its one connection. Distinct GUNs may share a lock (hash collision),
 * which only makes them wait for each other.
 */
export async function lockGun(ctx: SqlContext, trx: Transaction<Database>, gun: Gun): Promise<void> {
  if (ctx.kind !== 'postgres') return;
  await sql`select pg_advisory_xact_lock(${sql.lit(GUN_LOCK_SPACE)}, hashtext(${gun}))`.execute(trx);
}
