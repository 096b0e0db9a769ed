import type { Selectable } from 'kysely';
import type { NewRoleAssignment, RoleAssignmentRecord, RoleAssignmentStore } from '../metadata-store.ts';
import { conflict, notFound, writeTx, type AccessContext } from './access-common.ts';
import type { AccessTx, RoleAssignmentRow } from './access-schema.ts';

function toAssignment(row: Selectable<RoleAssignmentRow>): RoleAssignmentRecord {
  const record: RoleAssignmentRecord = {
    id: row.id,
    principalId: row.principal_id,
    principalType: row.principal_type,
    roleDefinitionId: row.role_definition_id,
    roleName: row.role_name,
    scope: row.scope,
    createdAt: row.created_at,
  };
  if (row.created_by !== null) record.createdBy = row.created_by;
  return record;
}

/**
 * Whether the principal exists. On PostgreSQL its row is key-share locked until the transaction
 * ends, so that a concurrent deletion (which removes the principal's assignments) waits for us
 * and then removes ours too.
 */
async function principalExists(ctx: AccessContext, trx: AccessTx, a: NewRoleAssignment): Promise<boolean> {
  const table = a.principalType === 'User' ? 'users' : 'service_principals';
  const found = await trx
    .selectFrom(table)
    .select('object_id')
    .where('object_id', '=', a.principalId)
    .$if(ctx.kind === 'postgres', (qb) => qb.forKeyShare())
    .executeTakeFirst();
  return found !== undefined;
}

/** Role assignments: who holds which built-in role at which scope; listed by principal or scope. */
export function roleAssignmentStore(ctx: AccessContext): RoleAssignmentStore {
  const { adb, now } = ctx;
  const select = () => adb.selectFrom('role_assignments').selectAll();

  return {
    async create(a: NewRoleAssignment) {
      const row = {
        id: a.id,
        principal_id: a.principalId,
        principal_type: a.principalType,
        role_definition_id: a.roleDefinitionId,
        role_name: a.roleName,
        scope: a.scope,
        created_by: a.createdBy ?? null,
        created_at: now(),
      };
      await writeTx(ctx, async (trx) => {
        if (!(await principalExists(ctx, trx, a))) {
          throw notFound(`no ${a.principalType} has the objectId ${a.principalId}`, { principalId: a.principalId, principalType: a.principalType });
        }
        const same = await trx
          .selectFrom('role_assignments')
          .select('id')
          .where((eb) =>
            eb.or([
              eb('id', '=', a.id),
              eb.and([eb('principal_id', '=', a.principalId), eb('role_definition_id', '=', a.roleDefinitionId), eb('scope', '=', a.scope)]),
            ]),
          )
          .executeTakeFirst();
        if (same) throw conflict('the role assignment already exists', { id: same.id });
        await trx.insertInto('role_assignments').values(row).execute();
      });
      return toAssignment(row);
    },

    async get(id) {
      const row = await select().where('id', '=', id).executeTakeFirst();
      return row && toAssignment(row);
    },

    async delete(id) {
      const { numDeletedRows } = await adb.deleteFrom('role_assignments').where('id', '=', id).executeTakeFirst();
      return numDeletedRows > 0n;
    },

    async byPrincipal(principalId) {
      const rows = await select().where('principal_id', '=', principalId).orderBy('scope').orderBy('id').execute();
      return rows.map(toAssignment);
    },

    async byScope(scope) {
      const rows = await select().where('scope', '=', scope).orderBy('created_at').orderBy('id').execute();
      return rows.map(toAssignment);
    },

    async list() {
      const rows = await select().orderBy('scope').orderBy('id').execute();
      return rows.map(toAssignment);
    },
  };
}
