import type { Selectable } from 'kysely';
import { WharfError } from '../../errors/wharf-error.ts';
import type { AdminAccountRecord, AdminAccountStore } from '../metadata-store.ts';
import { bumpVersion, flag, reserveLogin, writeTx, type AccessContext } from './access-common.ts';
import type { AccessDb, AccessTx, AdminAccountRow } from './access-schema.ts';

const ID = 1;
// ensure: a concurrent creator may commit between our check and our insert; we then read its account.
const ATTEMPTS = 3;

function toAccount(row: Selectable<AdminAccountRow>): AdminAccountRecord {
  return {
    username: row.username,
    isEnabled: Boolean(row.enabled),
    sealedPassword: row.sealed_password,
    sealedPassword2: row.sealed_password2,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/**
 * The one admin account. Its passwords are stored sealed with the KeyVault, not hashed, because
 * `wharf credential show` must display them again as ACR does; the KEK protects them at rest.
 */
export function adminAccountStore(ctx: AccessContext): AdminAccountStore {
  const { adb, now } = ctx;
  const read = async (db: AccessDb | AccessTx) => {
    const row = await db.selectFrom('admin_account').selectAll().where('id', '=', ID).executeTakeFirst();
    return row && toAccount(row);
  };

  async function change(set: Partial<{ enabled: 0 | 1; sealed_password: Buffer; sealed_password2: Buffer }>, bump: boolean) {
    return writeTx(ctx, async (trx) => {
      const before = await read(trx);
      if (!before) return undefined;
      await trx.updateTable('admin_account').set({ ...set, updated_at: now() }).where('id', '=', ID).execute();
      if (bump) await bumpVersion(trx, before.username);
      return read(trx);
    });
  }

  return {
    get: () => read(adb),

    async ensure(username, make) {
      for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
        const existing = await read(adb);
        if (existing) return existing;
        const sealed = await make();
        try {
          return await writeTx(ctx, async (trx) => {
            const raced = await read(trx);
            if (raced) return raced;
            await reserveLogin(trx, username, 'admin', username);
            const at = now();
            await trx
              .insertInto('admin_account')
              .values({
                id: ID,
                username,
                enabled: 0,
                sealed_password: sealed.sealedPassword,
                sealed_password2: sealed.sealedPassword2,
                created_at: at,
                updated_at: at,
              })
              .execute();
            const made = await read(trx);
            if (!made) throw new Error('admin account vanished within its transaction');
            return made;
          });
        } catch (err) {
          // A CONFLICT caused by another kind holding the name is final; one caused by a
          // concurrent creator of the account is resolved by reading its account.
          if (!(err instanceof WharfError && err.code === 'CONFLICT') || (await read(adb)) === undefined) throw err;
        }
      }
      throw new WharfError('UNAVAILABLE', 'admin account could not be created');
    },

    setEnabled: (isEnabled) => change({ enabled: flag(isEnabled) }, !isEnabled),

    setPassword: (name, sealed) => change(name === 'password' ? { sealed_password: sealed } : { sealed_password2: sealed }, true),
  };
}
