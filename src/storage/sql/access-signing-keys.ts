import { sql, type Insertable, type Selectable } from 'kysely';
import { WharfError } from '../../errors/wharf-error.ts';
import type { SigningKeyRecord, SigningKeyStore } from '../metadata-store.ts';
import { writeTx, type AccessContext } from './access-common.ts';
import type { SigningKeyRow } from './access-schema.ts';

/** Word for word the predicate of the partial unique index signing_keys_one_primary (003-access). */
const PRIMARY = sql<boolean>`is_primary`;
// primary: a rotate or retire may run between our insert and our read.
const ATTEMPTS = 3;

function toKey(row: Selectable<SigningKeyRow>): SigningKeyRecord {
  return {
    kid: row.kid,
    alg: row.alg,
    publicKey: row.public_key,
    sealedPrivateKey: row.sealed_private,
    createdAt: row.created_at,
    isPrimary: Boolean(row.is_primary),
    isRetired: Boolean(row.retired),
  };
}

/** JWT signing keys of the token service; private keys arrive sealed (KeyVault). */
export function signingKeyStore(ctx: AccessContext): SigningKeyStore {
  const { adb, now } = ctx;
  const primaryRow = () => adb.selectFrom('signing_keys').selectAll().where(PRIMARY).executeTakeFirst();
  const newPrimary = (r: SigningKeyRecord): Insertable<SigningKeyRow> => ({
    kid: r.kid,
    alg: r.alg,
    public_key: r.publicKey,
    sealed_private: r.sealedPrivateKey,
    is_primary: 1,
    retired: 0,
    created_at: now(),
  });

  return {
    async primary(make) {
      for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
        const existing = await primaryRow();
        if (existing) return toKey(existing);
        const made = await make();
        // Whoever inserts first wins; the others' inserts do nothing and they read the winner's key.
        await adb
          .insertInto('signing_keys')
          .values(newPrimary(made))
          .onConflict((oc) => oc.column('is_primary').where(PRIMARY).doNothing())
          .execute();
        const row = await primaryRow();
        if (row) return toKey(row);
      }
      throw new WharfError('UNAVAILABLE', 'token signing key could not be created');
    },

    async rotate(record) {
      // A concurrent rotation on PostgreSQL may insert its primary after our update looked: our
      // insert then hits the one-primary index (CONFLICT) and we run again; the last one wins.
      for (let attempt = 1; ; attempt++) {
        try {
          return await writeTx(ctx, async (trx) => {
            await trx.updateTable('signing_keys').set({ is_primary: 0 }).where(PRIMARY).execute();
            const values = newPrimary(record);
            await trx.insertInto('signing_keys').values(values).execute();
            return { ...record, createdAt: values.created_at, isPrimary: true, isRetired: false };
          });
        } catch (err) {
          if (attempt < ATTEMPTS && err instanceof WharfError && err.code === 'CONFLICT') continue;
          throw err;
        }
      }
    },

    async get(kid) {
      const row = await adb.selectFrom('signing_keys').selectAll().where('kid', '=', kid).executeTakeFirst();
      return row && toKey(row);
    },

    async list() {
      const rows = await adb.selectFrom('signing_keys').selectAll().where(sql<boolean>`not retired`).orderBy('created_at').orderBy('kid').execute();
      return rows.map(toKey);
    },

    async retire(kid) {
      const { numUpdatedRows } = await adb.updateTable('signing_keys').set({ retired: 1, is_primary: 0 }).where('kid', '=', kid).executeTakeFirst();
      return numUpdatedRows > 0n;
    },
  };
}
