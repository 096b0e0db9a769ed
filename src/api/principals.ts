import { WharfError } from '../errors/wharf-error.ts';
import type { AccessRecords, ServicePrincipalRecord, UserRecord } from '../storage/metadata-store.ts';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isGuid(value: string): boolean {
  return GUID.test(value);
}

/** A user by objectId or userPrincipalName (case-insensitive); NOT_FOUND_RESOURCE when neither matches. */
export async function findUser(access: AccessRecords, ref: string): Promise<UserRecord> {
  const user = (isGuid(ref) ? await access.users.get(ref.toLowerCase()) : undefined) ?? (await access.users.byName(ref));
  if (!user) throw new WharfError('NOT_FOUND_RESOURCE', `no user "${ref}" (give its userPrincipalName or objectId)`);
  return user;
}

/** A service principal by objectId or appId; NOT_FOUND_RESOURCE when neither matches. */
export async function findServicePrincipal(access: AccessRecords, ref: string): Promise<ServicePrincipalRecord> {
  const sp = isGuid(ref) ? ((await access.servicePrincipals.get(ref.toLowerCase())) ?? (await access.servicePrincipals.byAppId(ref))) : undefined;
  if (!sp) throw new WharfError('NOT_FOUND_RESOURCE', `no service principal "${ref}" (give its appId or objectId)`);
  return sp;
}
