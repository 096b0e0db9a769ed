import { WharfError } from '../../errors/wharf-error.ts';
import type { AccessRecords, PrincipalType } from '../../storage/metadata-store.ts';
import { isGuid } from '../principals.ts';

/** A user or service principal that can hold role assignments. */
export interface Assignee {
  readonly principalId: string;
  readonly principalType: PrincipalType;
  /** userPrincipalName, or the service principal's first servicePrincipalName (its appId). */
  readonly principalName: string;
}

function invalid(message: string): WharfError {
  return new WharfError('INVALID_REQUEST', message);
}

/**
 * `--assignee X` (spec 2): objectId of a user or service principal, then service principal appId,
 * then servicePrincipalName, then userPrincipalName; the first kind that matches decides, and two
 * matches of that kind are an error. The admin account and scoped tokens are refused with the reason.
 */
export async function resolveAssignee(access: AccessRecords, value: string): Promise<Assignee> {
  await refuseDataPlaneOnly(access, value);
  const guid = isGuid(value) ? value.toLowerCase() : undefined;
  const byObjectId = guid === undefined ? [] : [await access.users.get(guid), await access.servicePrincipals.get(guid)];
  const levels: (() => Promise<Assignee[]>)[] = [
    async () => byObjectId.flatMap((p) => (p ? [toAssignee(p)] : [])),
    async () => {
      const sp = guid === undefined ? undefined : await access.servicePrincipals.byAppId(guid);
      return sp ? [toAssignee(sp)] : [];
    },
    async () => {
      const wanted = value.toLowerCase();
      const sps = await access.servicePrincipals.list();
      return sps.filter((sp) => sp.servicePrincipalNames.some((n) => n.toLowerCase() === wanted)).map(toAssignee);
    },
    async () => {
      const user = await access.users.byName(value);
      return user ? [toAssignee(user)] : [];
    },
  ];
  for (const level of levels) {
    const found = await level();
    if (found.length > 1) {
      throw invalid(`"${value}" names ${found.length} principals; use assigneeObjectId with assigneePrincipalType`);
    }
    if (found[0]) return found[0];
  }
  throw invalid(`no user or service principal "${value}" (tried objectId, appId, servicePrincipalName, userPrincipalName)`);
}

/** `--assignee-object-id G --assignee-principal-type T` (spec 2): no name lookup, but the principal must exist. */
export async function assigneeByObjectId(access: AccessRecords, objectId: string, type: PrincipalType | undefined): Promise<Assignee> {
  const id = objectId.toLowerCase();
  const user = type === 'ServicePrincipal' ? undefined : await access.users.get(id);
  if (user) return toAssignee(user);
  const sp = type === 'User' ? undefined : await access.servicePrincipals.get(id);
  if (sp) return toAssignee(sp);
  if ((await access.tokens.list()).some((t) => t.objectId === id)) throw scopedTokenRefusal(objectId);
  throw invalid(`no ${type === 'User' ? 'user' : type === 'ServicePrincipal' ? 'service principal' : 'user or service principal'} has objectId ${objectId}`);
}

async function refuseDataPlaneOnly(access: AccessRecords, value: string): Promise<void> {
  const login = await access.logins.resolve(value);
  if (login?.kind === 'admin') {
    throw invalid(`"${value}" is the registry's admin account, which can never be assigned a role: it is a data-plane credential that can never sign or manage the registry; assign the role to a user or service principal`);
  }
  if (login?.kind === 'token') throw scopedTokenRefusal(value);
}

function scopedTokenRefusal(value: string): WharfError {
  return invalid(`"${value}" is a scoped token, which cannot be assigned a role: its rights come from its scope map (wharf token update --scope-map)`);
}

function toAssignee(p: { objectId: string; userPrincipalName: string } | { objectId: string; appId: string; servicePrincipalNames: string[] }): Assignee {
  if ('userPrincipalName' in p) return { principalId: p.objectId, principalType: 'User', principalName: p.userPrincipalName };
  return { principalId: p.objectId, principalType: 'ServicePrincipal', principalName: p.servicePrincipalNames[0] ?? p.appId };
}
