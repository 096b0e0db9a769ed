import { sql, type Selectable } from 'kysely';
import { WharfError } from '../../errors/wharf-error.ts';
import type { Gun, ServerKeyRecord, ServerRole } from '../../trust/types.ts';
import type { ServerKeys } from '../metadata-store.ts';
import { isRetryable, isUniqueViolation } from './errors.ts';
import { lockGun } from './gun-lock.ts';
import { preparedQuery } from './prepared.ts';
import type { ServerKeyRow, SqlContext } from './schema.ts';

/** Word for word the predicate of the partial unique index server_keys_one_pending (002-trust). */
const PENDING = sql<boolean>`is_pending and not retired`;
const UNRETIRED = sql<boolean>`not retired`;

// pending: a retireGun or rotate may run between our insert and our read. rotate: rotations take
// the GUN's lock, so only a deadlock or a writer bypassing it makes one run again.
const ATTEMPTS = 3;

function toRecord(row: Selectable<ServerKeyRow>): ServerKeyRecord {
  return {
    gun: row.gun as Gun,
    role: row.role as ServerRole,
    keyId: row.key_id,
    keyType: row.key_type as ServerKeyRecord['keyType'],
    publicKey: row.public_key,
    sealedPrivateKey: row.sealed_private,
    isPending: Boolean(row.is_pending),
    createdAt: row.created_at,
  };
}

/**
 * Server-held snapshot and timestamp keys. The record's gun and role come from the arguments;
 * its isPending and createdAt are set by the store (pending on insert, the store's clock).
 */
export function serverKeys(ctx: SqlContext): ServerKeys {
  const { db, now } = ctx;
  // Every publish lists a GUN's keys, every first key GET looks for the pending one: compiled once.
  const pendingQuery = preparedQuery(db, db.selectFrom('server_keys').selectAll().where('gun', '=', '').where('role', '=', '').where(PENDING));
  const pendingRow = async (gun: Gun, role: ServerRole) => (await pendingQuery(gun, role))[0];
  const listQuery = preparedQuery(
    db,
    db.selectFrom('server_keys').selectAll().where('gun', '=', '').where('role', '=', '').where(UNRETIRED).orderBy('created_at').orderBy('key_id'),
  );
  const newPendingRow = (gun: Gun, role: ServerRole, record: ServerKeyRecord) => ({
    gun,
    role,
    key_id: record.keyId,
    key_type: record.keyType,
    public_key: record.publicKey,
    sealed_private: record.sealedPrivateKey,
    is_pending: 1 as const,
    retired: 0 as const,
    created_at: now(),
  });

  return {
    async list(gun: Gun, role: ServerRole): Promise<ServerKeyRecord[]> {
      return (await listQuery(gun, role)).map(toRecord);
    },

    async pending(gun: Gun, role: ServerRole, make: () => Promise<ServerKeyRecord>): Promise<ServerKeyRecord> {
      for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
        const existing = await pendingRow(gun, role);
        if (existing) return toRecord(existing);
        const made = await make();
        // Whoever inserts first wins; the others' inserts do nothing (return no row) and they read the winner's key.
        const inserted = await db
          .insertInto('server_keys')
          .values(newPendingRow(gun, role, made))
          .onConflict((oc) => oc.columns(['gun', 'role']).where(PENDING).doNothing())
          .returningAll()
          .executeTakeFirst();
        const row = inserted ?? (await pendingRow(gun, role));
        if (row) return toRecord(row);
        // A retireGun or rotate ran in between; start over.
      }
      throw new WharfError('UNAVAILABLE', 'server key could not be created');
    },

    async rotate(gun: Gun, role: ServerRole, record: ServerKeyRecord): Promise<void> {
      for (let attempt = 1; ; attempt++) {
        try {
          await db.transaction().execute(async (trx) => {
            await lockGun(ctx, trx, gun);
            await trx.updateTable('server_keys').set({ is_pending: 0 }).where('gun', '=', gun).where('role', '=', role).where(PENDING).execute();
            await trx.insertInto('server_keys').values(newPendingRow(gun, role, record)).execute();
          });
          return;
        } catch (err) {
          if (attempt < ATTEMPTS && (isUniqueViolation(err) || isRetryable(err))) continue;
          throw err;
        }
      }
    },

    async retireGun(gun: Gun): Promise<void> {
      // The sealed private keys are erased, not only retired: a deleted GUN's keys can never sign again.
      await db.updateTable('server_keys').set({ retired: 1, is_pending: 0, sealed_private: Buffer.alloc(0) }).where('gun', '=', gun).execute();
    },
  };
}
