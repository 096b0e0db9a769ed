import type { Insertable, Selectable } from 'kysely';
import type { NewServicePrincipal, PasswordCredentialRecord, ServicePrincipalRecord, ServicePrincipalStore } from '../metadata-store.ts';
import { bumpVersion, conflict, flag, nameKey, reserveLogin, writeTx, type AccessContext } from './access-common.ts';
import type { AccessDb, AccessTx, ServicePrincipalRow, SpPasswordRow } from './access-schema.ts';
import { dropPrincipal } from './access-users.ts';

function toCredential(row: Selectable<SpPasswordRow>): PasswordCredentialRecord {
  return {
    keyId: row.key_id,
    displayName: row.display_name,
    hash: row.hash,
    hint: row.hint,
    startsAt: row.starts_at,
    endsAt: row.ends_at,
  };
}

function credentialRow(objectId: string, c: PasswordCredentialRecord): Insertable<SpPasswordRow> {
  return {
    key_id: c.keyId,
    object_id: objectId,
    display_name: c.displayName,
    hash: c.hash,
    hint: c.hint,
    starts_at: c.startsAt,
    ends_at: c.endsAt,
  };
}

/** Service principals: login name appId, role assignments on objectId, hashed secrets with validity. */
export function servicePrincipalStore(ctx: AccessContext): ServicePrincipalStore {
  const { adb, now } = ctx;

  async function withCredentials(db: AccessDb | AccessTx, rows: Selectable<ServicePrincipalRow>[]): Promise<ServicePrincipalRecord[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.object_id);
    const creds = await db.selectFrom('sp_passwords').selectAll().where('object_id', 'in', ids).orderBy('starts_at').orderBy('key_id').execute();
    return rows.map((row) => ({
      appId: row.app_id,
      objectId: row.object_id,
      displayName: row.display_name,
      servicePrincipalNames: JSON.parse(row.names) as string[],
      isEnabled: Boolean(row.enabled),
      createdAt: row.created_at,
      passwordCredentials: creds.filter((c) => c.object_id === row.object_id).map(toCredential),
    }));
  }

  async function byId(db: AccessDb | AccessTx, objectId: string): Promise<ServicePrincipalRecord | undefined> {
    const rows = await db.selectFrom('service_principals').selectAll().where('object_id', '=', objectId).execute();
    return (await withCredentials(db, rows))[0];
  }

  return {
    async create(sp: NewServicePrincipal): Promise<ServicePrincipalRecord> {
      return writeTx(ctx, async (trx) => {
        if (await byId(trx, sp.objectId)) throw conflict('a service principal with this objectId exists', { objectId: sp.objectId });
        await reserveLogin(trx, sp.appId, 'servicePrincipal', sp.objectId);
        await trx
          .insertInto('service_principals')
          .values({
            object_id: sp.objectId,
            app_id: sp.appId,
            name_key: nameKey(sp.appId),
            display_name: sp.displayName,
            names: JSON.stringify(sp.servicePrincipalNames),
            enabled: flag(sp.isEnabled),
            created_at: now(),
          })
          .execute();
        for (const c of sp.passwordCredentials) await trx.insertInto('sp_passwords').values(credentialRow(sp.objectId, c)).execute();
        const made = await byId(trx, sp.objectId);
        if (!made) throw new Error('service principal vanished within its transaction');
        return made;
      });
    },

    get: (objectId) => byId(adb, objectId),

    async byAppId(appId) {
      const rows = await adb.selectFrom('service_principals').selectAll().where('name_key', '=', nameKey(appId)).execute();
      return (await withCredentials(adb, rows))[0];
    },

    async list() {
      const rows = await adb.selectFrom('service_principals').selectAll().orderBy('display_name').orderBy('app_id').execute();
      return withCredentials(adb, rows);
    },

    async update(objectId, change) {
      return writeTx(ctx, async (trx) => {
        const set: Partial<{ display_name: string; enabled: 0 | 1 }> = {};
        if (change.displayName !== undefined) set.display_name = change.displayName;
        if (change.isEnabled !== undefined) set.enabled = flag(change.isEnabled);
        if (!(await byId(trx, objectId))) return undefined;
        if (Object.keys(set).length > 0) await trx.updateTable('service_principals').set(set).where('object_id', '=', objectId).execute();
        if (change.isEnabled === false) await bumpVersion(trx, objectId);
        return byId(trx, objectId);
      });
    },

    async addPassword(objectId, credential) {
      return writeTx(ctx, async (trx) => {
        const owner = await trx.selectFrom('service_principals').select('object_id').where('object_id', '=', objectId).executeTakeFirst();
        if (!owner) return false;
        const taken = await trx.selectFrom('sp_passwords').select('key_id').where('key_id', '=', credential.keyId).executeTakeFirst();
        if (taken) throw conflict('a credential with this keyId exists', { keyId: credential.keyId });
        await trx.insertInto('sp_passwords').values(credentialRow(objectId, credential)).execute();
        return true;
      });
    },

    async removePassword(objectId, keyId) {
      return writeTx(ctx, async (trx) => {
        const { numDeletedRows } = await trx
          .deleteFrom('sp_passwords')
          .where('object_id', '=', objectId)
          .where('key_id', '=', keyId)
          .executeTakeFirst();
        if (numDeletedRows === 0n) return false;
        await bumpVersion(trx, objectId);
        return true;
      });
    },

    async delete(objectId) {
      return writeTx(ctx, async (trx) => {
        await trx.deleteFrom('sp_passwords').where('object_id', '=', objectId).execute();
        const { numDeletedRows } = await trx.deleteFrom('service_principals').where('object_id', '=', objectId).executeTakeFirst();
        if (numDeletedRows === 0n) return false;
        await dropPrincipal(trx, 'servicePrincipal', objectId);
        return true;
      });
    },
  };
}
