import type { Insertable, Selectable } from 'kysely';
import type { NewUser, UserRecord, UserStore } from '../metadata-store.ts';
import { bumpVersion, checkUserPrincipalName, conflict, flag, nameKey, releaseLogin, reserveLogin, writeTx, type AccessContext } from './access-common.ts';
import type { AccessTx, UserRow } from './access-schema.ts';

function toUser(row: Selectable<UserRow>): UserRecord {
  return {
    objectId: row.object_id,
    userPrincipalName: row.user_principal_name,
    displayName: row.display_name,
    passwordHash: row.password_hash,
    isEnabled: Boolean(row.enabled),
    createdAt: row.created_at,
  };
}

/** Deletes what hangs off a principal: its role assignments and login name; bumps its version. */
export async function dropPrincipal(trx: AccessTx, kind: 'user' | 'servicePrincipal', objectId: string): Promise<void> {
  await trx.deleteFrom('role_assignments').where('principal_id', '=', objectId).execute();
  await releaseLogin(trx, kind, objectId);
  await bumpVersion(trx, objectId);
}

/** Users: login name userPrincipalName, scrypt password hash. */
export function userStore(ctx: AccessContext): UserStore {
  const { adb, now } = ctx;
  const byId = (db: typeof adb | AccessTx, objectId: string) =>
    db.selectFrom('users').selectAll().where('object_id', '=', objectId).executeTakeFirst();

  return {
    async create(user: NewUser): Promise<UserRecord> {
      checkUserPrincipalName(user.userPrincipalName);
      const row: Insertable<UserRow> = {
        object_id: user.objectId,
        user_principal_name: user.userPrincipalName,
        name_key: nameKey(user.userPrincipalName),
        display_name: user.displayName,
        password_hash: user.passwordHash,
        enabled: flag(user.isEnabled),
        created_at: now(),
      };
      await writeTx(ctx, async (trx) => {
        if (await byId(trx, user.objectId)) throw conflict('a user with this objectId exists', { objectId: user.objectId });
        await reserveLogin(trx, user.userPrincipalName, 'user', user.objectId);
        await trx.insertInto('users').values(row).execute();
      });
      return {
        objectId: user.objectId,
        userPrincipalName: user.userPrincipalName,
        displayName: user.displayName,
        passwordHash: user.passwordHash,
        isEnabled: user.isEnabled,
        createdAt: row.created_at,
      };
    },

    async get(objectId) {
      const row = await byId(adb, objectId);
      return row && toUser(row);
    },

    async byName(userPrincipalName) {
      const row = await adb.selectFrom('users').selectAll().where('name_key', '=', nameKey(userPrincipalName)).executeTakeFirst();
      return row && toUser(row);
    },

    async list() {
      const rows = await adb.selectFrom('users').selectAll().orderBy('user_principal_name').execute();
      return rows.map(toUser);
    },

    async update(objectId, change) {
      return writeTx(ctx, async (trx) => {
        const before = await byId(trx, objectId);
        if (!before) return undefined;
        const set: Partial<{ display_name: string; password_hash: string; enabled: 0 | 1 }> = {};
        if (change.displayName !== undefined) set.display_name = change.displayName;
        if (change.passwordHash !== undefined) set.password_hash = change.passwordHash;
        if (change.isEnabled !== undefined) set.enabled = flag(change.isEnabled);
        if (Object.keys(set).length > 0) await trx.updateTable('users').set(set).where('object_id', '=', objectId).execute();
        if (change.passwordHash !== undefined || change.isEnabled === false) await bumpVersion(trx, objectId);
        const after = await byId(trx, objectId);
        return after && toUser(after);
      });
    },

    async delete(objectId) {
      return writeTx(ctx, async (trx) => {
        const { numDeletedRows } = await trx.deleteFrom('users').where('object_id', '=', objectId).executeTakeFirst();
        if (numDeletedRows === 0n) return false;
        await dropPrincipal(trx, 'user', objectId);
        return true;
      });
    },
  };
}
