import type { AccessRecords } from '../metadata-store.ts';
import { adminAccountStore } from './access-admin.ts';
import { accessContext } from './access-common.ts';
import { credentialVersions, loginNames } from './access-logins.ts';
import { roleAssignmentStore } from './access-role-assignments.ts';
import { scopeMapStore } from './access-scope-maps.ts';
import { servicePrincipalStore } from './access-service-principals.ts';
import { signingKeyStore } from './access-signing-keys.ts';
import { scopedTokenStore } from './access-tokens.ts';
import { userStore } from './access-users.ts';
import { guarded } from './errors.ts';
import type { SqlContext } from './schema.ts';

/** The access stores over the 003-access tables; every method's failure passes through toStoreError. */
export function accessRecords(sqlContext: SqlContext): AccessRecords {
  const ctx = accessContext(sqlContext);
  return {
    logins: guarded(loginNames(ctx)),
    credentialVersions: guarded(credentialVersions(ctx)),
    users: guarded(userStore(ctx)),
    servicePrincipals: guarded(servicePrincipalStore(ctx)),
    admin: guarded(adminAccountStore(ctx)),
    tokens: guarded(scopedTokenStore(ctx)),
    scopeMaps: guarded(scopeMapStore(ctx)),
    roleAssignments: guarded(roleAssignmentStore(ctx)),
    signingKeys: guarded(signingKeyStore(ctx)),
  };
}
