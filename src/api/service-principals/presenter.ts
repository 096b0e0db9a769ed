import type { Static } from 'typebox';
import type { ServicePrincipalRecord } from '../../storage/metadata-store.ts';
import { armTime } from '../resource-ids.ts';
import type { ServicePrincipal, ServicePrincipalSecret } from './schemas.ts';

export function presentServicePrincipal(sp: ServicePrincipalRecord): Static<typeof ServicePrincipal> {
  return {
    accountEnabled: sp.isEnabled,
    appId: sp.appId,
    displayName: sp.displayName,
    objectId: sp.objectId,
    passwordCredentials: sp.passwordCredentials.map((c) => ({
      displayName: c.displayName, endDateTime: armTime(c.endsAt), hint: c.hint, keyId: c.keyId, startDateTime: armTime(c.startsAt),
    })),
    servicePrincipalNames: sp.servicePrincipalNames,
    servicePrincipalType: 'Application',
  };
}

/** The secret, shown this once; `tenant` is the installation id (spec 2). */
export function presentSecret(sp: ServicePrincipalRecord, password: string, tenant: string, withName: boolean): Static<typeof ServicePrincipalSecret> {
  return { appId: sp.appId, ...(withName ? { displayName: sp.displayName } : {}), password, tenant };
}
