import { permissionsAtScope, registryPermissions, type AssignmentScope } from '../auth/authorizer.ts';
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

  /**
   * permissionsAtScope, plus at a repository scope the registry-wide view of assignments: Reader and
   * Contributor view role assignments (spec 3) though their repository permissions do not say so.
   */
  async heldAt(caller: Caller, scope: AssignmentScope): Promise<Set<Permission>> {
    const records = await this.#access.roleAssignments.byPrincipal(caller.objectId);
    const assignments = records.flatMap((r) => toRoleAssignment(r, this.#registryId) ?? []);
    const held = permissionsAtScope(assignments, scope);
    if (scope.kind === 'repository' && registryPermissions(assignments).has('access/read')) held.add('access/read');
    return held;
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
