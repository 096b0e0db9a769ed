import { hashPassword, newGuid, newSecret, secretHint } from '../../auth/secrets.ts';
import { WharfError } from '../../errors/wharf-error.ts';
import type { PasswordCredentialRecord, ServicePrincipalRecord } from '../../storage/metadata-store.ts';
import { denied, REGISTRY_SCOPE } from '../authorization.ts';
import type { Caller } from '../caller.ts';
import type { ApiContext } from '../context.ts';
import { findServicePrincipal } from '../principals.ts';
import { parseRole, parseScope } from '../role-assignments/terms.ts';

export interface NewServicePrincipal {
  name: string;
  role?: string;
  scopes?: string[];
  years?: number;
}

/**
 * Service principals (spec 2, `wharf ad sp create-for-rbac`): viewing needs access/read, every
 * change access/write on the registry (a reset secret is a way in, as a password is). Secrets are
 * shown once and stored hashed; removing or disabling ends refresh tokens (the store bumps the
 * credential version); deleting removes the role assignments.
 */
export class ServicePrincipalService {
  readonly #ctx: ApiContext;

  constructor(ctx: ApiContext) {
    this.#ctx = ctx;
  }

  async list(caller: Caller): Promise<ServicePrincipalRecord[]> {
    await this.#ctx.authz.require(caller, 'access/read');
    return this.#ctx.access.servicePrincipals.list();
  }

  /** access/read, or the service principal itself. */
  async get(caller: Caller, ref: string): Promise<ServicePrincipalRecord> {
    const { access, authz } = this.#ctx;
    if ((await authz.heldAt(caller, REGISTRY_SCOPE)).has('access/read')) return findServicePrincipal(access, ref);
    const self = caller.kind === 'servicePrincipal' ? await access.servicePrincipals.get(caller.objectId) : undefined;
    if (self && (ref.toLowerCase() === self.objectId || ref.toLowerCase() === self.appId.toLowerCase())) return self;
    throw denied(caller, 'access/read');
  }

  /** Role and scopes are checked before anything is written; the assignments follow the principal. */
  async create(caller: Caller, input: NewServicePrincipal): Promise<{ sp: ServicePrincipalRecord; password: string }> {
    const { access, authz, registry } = this.#ctx;
    if (input.scopes !== undefined && input.role === undefined) throw new WharfError('INVALID_REQUEST', 'scopes need a role');
    const role = input.role === undefined ? undefined : parseRole(input.role);
    const scopes = role === undefined ? [] : (input.scopes ?? [registry.id]).map((s) => parseScope(s, registry.id));
    await authz.require(caller, 'access/write');
    const wanted = input.name.toLowerCase();
    if ((await access.servicePrincipals.list()).some((sp) => sp.servicePrincipalNames.some((n) => n.toLowerCase() === wanted))) {
      throw new WharfError('CONFLICT', `a service principal named "${input.name}" exists; reset its secret instead (wharf ad sp credential reset)`);
    }
    const appId = newGuid();
    const { credential, password } = await this.#newCredential(input.years);
    const sp = await access.servicePrincipals.create({
      appId, objectId: newGuid(), displayName: input.name, servicePrincipalNames: [appId, input.name], isEnabled: true, passwordCredentials: [credential],
    });
    for (const at of new Map(scopes.map((s) => [s.text, s])).values()) {
      await access.roleAssignments.create({
        id: newGuid(), principalId: sp.objectId, principalType: 'ServicePrincipal', roleDefinitionId: role!.id, roleName: role!.name, scope: at.text, createdBy: caller.objectId,
      });
    }
    return { sp, password };
  }

  async update(caller: Caller, ref: string, change: { displayName?: string; accountEnabled?: boolean }): Promise<ServicePrincipalRecord> {
    await this.#ctx.authz.require(caller, 'access/write');
    const sp = await findServicePrincipal(this.#ctx.access, ref);
    if (change.accountEnabled === false && sp.objectId === caller.objectId) throw new WharfError('INVALID_REQUEST', 'a service principal cannot disable itself');
    const updated = await this.#ctx.access.servicePrincipals.update(sp.objectId, {
      ...(change.displayName === undefined ? {} : { displayName: change.displayName }),
      ...(change.accountEnabled === undefined ? {} : { isEnabled: change.accountEnabled }),
    });
    if (!updated) throw new WharfError('NOT_FOUND_RESOURCE', `no service principal "${ref}"`);
    return updated;
  }

  async delete(caller: Caller, ref: string): Promise<void> {
    await this.#ctx.authz.require(caller, 'access/write');
    const sp = await findServicePrincipal(this.#ctx.access, ref);
    if (sp.objectId === caller.objectId) throw new WharfError('INVALID_REQUEST', 'a service principal cannot delete itself');
    if (!(await this.#ctx.access.servicePrincipals.delete(sp.objectId))) throw new WharfError('NOT_FOUND_RESOURCE', `no service principal "${ref}"`);
  }

  /** Replaces every secret by one new one: the new one is added before the old ones go. */
  async resetCredentials(caller: Caller, ref: string, years?: number): Promise<{ sp: ServicePrincipalRecord; password: string }> {
    await this.#ctx.authz.require(caller, 'access/write');
    const sp = await findServicePrincipal(this.#ctx.access, ref);
    const { credential, password } = await this.#newCredential(years);
    if (!(await this.#ctx.access.servicePrincipals.addPassword(sp.objectId, credential))) throw new WharfError('NOT_FOUND_RESOURCE', `no service principal "${ref}"`);
    for (const old of sp.passwordCredentials) await this.#ctx.access.servicePrincipals.removePassword(sp.objectId, old.keyId);
    return { sp, password };
  }

  async #newCredential(years = 1): Promise<{ credential: PasswordCredentialRecord; password: string }> {
    const password = newSecret();
    const startsAt = this.#ctx.now();
    const end = new Date(startsAt);
    end.setUTCFullYear(end.getUTCFullYear() + years);
    const credential = { keyId: newGuid(), displayName: 'rbac', hash: await hashPassword(password), hint: secretHint(password), startsAt, endsAt: end.getTime() };
    return { credential, password };
  }
}
