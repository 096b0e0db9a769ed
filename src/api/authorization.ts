import { permissionsAtScope, type AssignmentScope } from '../auth/authorizer.ts';
import { toRoleAssignment } from '../auth/grant-facts.ts';
import type { Permission } from '../auth/permissions.ts';
import { WharfError } from '../errors/wharf-error.ts';
import type { AccessRecords } from '../storage/metadata-store.ts';
import type { Caller } from './caller.ts';

export const REGISTRY_SCOPE: AssignmentScope = { kind: 'registry' };

/**
 * What a caller may do through the management API: the permissions its role assignments give at
 * a scope (src/auth/authorizer.ts permissionsAtScope), read afresh for every check so that a
 * role change applies to the next request.
 */
export class Authorization {
  readonly #access: AccessRecords;
  readonly #registryId: string;

  constructor(access: AccessRecords, registryId: string) {
    this.#access = access;
    this.#registryId = registryId;
  }

  async heldAt(caller: Caller, scope: AssignmentScope): Promise<Set<Permission>> {
    const records = await this.#access.roleAssignments.byPrincipal(caller.objectId);
    const assignments = records.flatMap((r) => toRoleAssignment(r, this.#registryId) ?? []);
    return permissionsAtScope(assignments, scope);
  }

  /** Throws DENIED (403 AuthorizationFailed) unless the caller holds `permission` at `scope`. */
  async require(caller: Caller, permission: Permission, scope: AssignmentScope = REGISTRY_SCOPE): Promise<void> {
    if (!(await this.heldAt(caller, scope)).has(permission)) throw denied(caller, permission, scope);
  }
}

/** The 403 for a caller without `permission` at `scope`. */
export function denied(caller: Caller, permission: Permission, scope: AssignmentScope = REGISTRY_SCOPE): WharfError {
  const where = scope.kind === 'registry' ? 'the registry' : `repositories ${scope.pattern}`;
  return new WharfError('DENIED', `${caller.name} does not hold ${permission} on ${where}: ask an Owner for a role assignment that grants it`);
}
