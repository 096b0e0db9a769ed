import { patternCovers } from '../../auth/repository-pattern.ts';
import { roleById, type RoleDefinition } from '../../auth/roles.ts';
import { newGuid } from '../../auth/secrets.ts';
import { WharfError } from '../../errors/wharf-error.ts';
import type { PrincipalType, RoleAssignmentRecord } from '../../storage/metadata-store.ts';
import type { Caller } from '../caller.ts';
import type { ApiContext } from '../context.ts';
import { assigneeByObjectId, resolveAssignee, type Assignee } from './assignee.ts';
import { parseRole, parseScope, storedScope, type ParsedScope } from './terms.ts';

export interface AssignmentView {
  readonly record: RoleAssignmentRecord;
  readonly role: RoleDefinition | undefined;
  readonly principalName: string;
}

export interface AssignmentQuery {
  scope?: string;
  assignee?: string;
  role?: string;
  includeInherited?: boolean;
  all?: boolean;
}

export interface NewAssignment {
  role: string;
  scope: string;
  assignee?: string;
  assigneeObjectId?: string;
  assigneePrincipalType?: PrincipalType;
}

/**
 * Role assignments (spec 3). Listing needs access/read and changing access/write at the scope in
 * question (permissionsAtScope: an Owner at `team/*` manages assignments at `team/app`); `all`
 * needs them on the registry. The admin account and scoped tokens never hold roles.
 */
export class RoleAssignmentService {
  readonly #ctx: ApiContext;

  constructor(ctx: ApiContext) {
    this.#ctx = ctx;
  }

  async list(caller: Caller, query: AssignmentQuery): Promise<AssignmentView[]> {
    const { access, authz, registry } = this.#ctx;
    const at = query.all ? undefined : parseScope(query.scope ?? registry.id, registry.id);
    const role = query.role === undefined ? undefined : parseRole(query.role);
    // The right first: who may not read assignments learns nothing about which principals exist.
    await authz.require(caller, 'access/read', at?.scope);
    const assignee = query.assignee === undefined ? undefined : await resolveAssignee(access, query.assignee);
    let records = at === undefined ? await access.roleAssignments.list() : await access.roleAssignments.byScope(at.text);
    if (at !== undefined && at.scope.kind === 'repository' && query.includeInherited) records = [...(await this.#inherited(at)), ...records];
    const views = await this.#views(records);
    return views.filter((v) => (role === undefined || v.role?.id === role.id) && (assignee === undefined || v.record.principalId === assignee.principalId));
  }

  /** Checks role, scope, the caller's right there and the assignee, then writes once. */
  async create(caller: Caller, input: NewAssignment): Promise<AssignmentView> {
    const { access, authz, registry } = this.#ctx;
    const role = parseRole(input.role);
    const at = parseScope(input.scope, registry.id);
    await authz.require(caller, 'access/write', at.scope);
    const assignee = await this.#assignee(input);
    const record = await access.roleAssignments.create({
      id: newGuid(), principalId: assignee.principalId, principalType: assignee.principalType,
      roleDefinitionId: role.id, roleName: role.name, scope: at.text, createdBy: caller.objectId,
    });
    return { record, role, principalName: assignee.principalName };
  }

  async delete(caller: Caller, id: string): Promise<void> {
    const { access, authz, registry } = this.#ctx;
    const record = await access.roleAssignments.get(id.toLowerCase());
    if (!record) throw new WharfError('NOT_FOUND_RESOURCE', `no role assignment ${id}`);
    await authz.require(caller, 'access/write', storedScope(record.scope, registry.id));
    if (!(await access.roleAssignments.delete(record.id))) throw new WharfError('NOT_FOUND_RESOURCE', `no role assignment ${id}`);
  }

  async #assignee(input: NewAssignment): Promise<Assignee> {
    const { access } = this.#ctx;
    if ((input.assignee === undefined) === (input.assigneeObjectId === undefined)) {
      throw new WharfError('INVALID_REQUEST', 'give exactly one of assignee and assigneeObjectId');
    }
    if (input.assignee !== undefined) return resolveAssignee(access, input.assignee);
    return assigneeByObjectId(access, input.assigneeObjectId!, input.assigneePrincipalType);
  }

  /** Assignments that apply at a repository scope from above: registry scope and covering patterns. */
  async #inherited(at: ParsedScope): Promise<RoleAssignmentRecord[]> {
    if (at.scope.kind !== 'repository') return [];
    const inner = at.scope.pattern;
    const all = await this.#ctx.access.roleAssignments.list();
    return all.filter((r) => {
      if (r.scope === at.text) return false;
      const scope = storedScope(r.scope, this.#ctx.registry.id);
      return scope.kind === 'registry' || patternCovers(scope.pattern, inner);
    });
  }

  async #views(records: RoleAssignmentRecord[]): Promise<AssignmentView[]> {
    const names = new Map<string, string>();
    for (const u of await this.#ctx.access.users.list()) names.set(u.objectId, u.userPrincipalName);
    for (const sp of await this.#ctx.access.servicePrincipals.list()) names.set(sp.objectId, sp.servicePrincipalNames[0] ?? sp.appId);
    return records.map((record) => ({
      record,
      role: roleById(record.roleDefinitionId.split('/').pop() ?? ''),
      principalName: names.get(record.principalId) ?? '',
    }));
  }
}
