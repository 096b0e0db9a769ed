import Type from 'typebox';
import { callerOf, type ApiRoutes } from '../context.ts';
import { errors, NoContent } from '../schemas.ts';
import { presentRoleAssignment } from './presenter.ts';
import { RoleAssignment, RoleAssignmentCreate, RoleAssignmentParams, RoleAssignmentQuery } from './schemas.ts';
import { RoleAssignmentService, type AssignmentView } from './service.ts';

/** `/api/roleAssignments` (wharf role assignment …). */
export const roleAssignmentRoutes: ApiRoutes = async (app, { ctx }) => {
  const service = new RoleAssignmentService(ctx);
  const tags = ['roleAssignments'];
  const present = (v: AssignmentView) => presentRoleAssignment(v.record, v.role, v.principalName, ctx);

  app.get('/roleAssignments', {
    schema: {
      operationId: 'roleAssignments_list',
      summary: 'Assignments exactly at scope (default the registry); includeInherited adds those from above; all=true lists every one; access/read',
      tags, querystring: RoleAssignmentQuery, response: { 200: Type.Array(RoleAssignment), ...errors(400) },
    },
  }, async (req) => {
    const { includeInherited, all, ...rest } = req.query;
    const views = await service.list(callerOf(req), { ...rest, includeInherited: includeInherited === 'true', all: all === 'true' });
    return views.map(present);
  });

  app.post('/roleAssignments', {
    schema: {
      operationId: 'roleAssignments_create', summary: 'Assign a role at a scope; access/write there', tags,
      body: RoleAssignmentCreate, response: { 201: RoleAssignment, ...errors(400, 409) },
    },
  }, async (req, reply) => reply.code(201).send(present(await service.create(callerOf(req), req.body))));

  app.delete('/roleAssignments/:name', {
    schema: {
      operationId: 'roleAssignments_delete', summary: 'Remove an assignment; access/write at its scope', tags,
      params: RoleAssignmentParams, response: { 204: NoContent, ...errors(404) },
    },
  }, async (req, reply) => {
    await service.delete(callerOf(req), req.params.name);
    return reply.code(204).send(null);
  });
};
