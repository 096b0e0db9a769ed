import type { CredentialVersions, LoginNames } from '../metadata-store.ts';
import { bumpVersion, nameKey, type AccessContext } from './access-common.ts';

/** Basic-auth user name → kind and owner, over the one login namespace (login_names). */
export function loginNames({ adb }: AccessContext): LoginNames {
  return {
    async resolve(username) {
      const row = await adb.selectFrom('login_names').select(['kind', 'owner_id']).where('name_key', '=', nameKey(username)).executeTakeFirst();
      return row && { kind: row.kind, id: row.owner_id };
    },
  };
}

/** Per-principal counters that refresh tokens carry; a bump revokes every refresh token issued before. */
export function credentialVersions({ adb }: AccessContext): CredentialVersions {
  return {
    async current(principalId) {
      const row = await adb.selectFrom('credential_versions').select('version').where('principal_id', '=', principalId).executeTakeFirst();
      return row ? Number(row.version) : 0;
    },
    bump: (principalId) => bumpVersion(adb, principalId),
  };
}
