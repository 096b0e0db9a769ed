import Type from 'typebox';
import { callerOf, type ApiRoutes } from '../context.ts';
import { errors, NoContent } from '../schemas.ts';
import { presentScopeMap } from './presenter.ts';
import { ScopeMap, ScopeMapCreate, ScopeMapParams, ScopeMapUpdate } from './schemas.ts';
import { ScopeMapService } from './service.ts';

/** `/api/scopeMaps` (wharf scope-map …); registry/credentials. */
export const scopeMapRoutes: ApiRoutes = async (app, { ctx }) => {
  const service = new ScopeMapService(ctx);
  const tags = ['scopeMaps'];

  app.get('/scopeMaps', {
    schema: { operationId: 'scopeMaps_list', summary: 'System and user scope maps', tags, response: { 200: Type.Array(ScopeMap), ...errors() } },
  }, async (req) => (await service.list(callerOf(req))).map((m) => presentScopeMap(m, ctx)));

  app.post('/scopeMaps', {
    schema: { operationId: 'scopeMaps_create', summary: 'Create a scope map', tags, body: ScopeMapCreate, response: { 201: ScopeMap, ...errors(400, 409) } },
  }, async (req, reply) => reply.code(201).send(presentScopeMap(await service.create(callerOf(req), req.body), ctx)));

  app.get('/scopeMaps/:scopeMap', {
    schema: { operationId: 'scopeMaps_show', summary: 'One scope map', tags, params: ScopeMapParams, response: { 200: ScopeMap, ...errors(404) } },
  }, async (req) => presentScopeMap(await service.get(callerOf(req), req.params.scopeMap), ctx));

  app.patch('/scopeMaps/:scopeMap', {
    schema: {
      operationId: 'scopeMaps_update', summary: 'Add or remove actions, change the description (not system maps)', tags,
      params: ScopeMapParams, body: ScopeMapUpdate, response: { 200: ScopeMap, ...errors(400, 404) },
    },
  }, async (req) => presentScopeMap(await service.update(callerOf(req), req.params.scopeMap, req.body), ctx));

  app.delete('/scopeMaps/:scopeMap', {
    schema: {
      operationId: 'scopeMaps_delete', summary: 'Delete a scope map no token uses (not system maps)', tags,
      params: ScopeMapParams, response: { 204: NoContent, ...errors(400, 404, 409) },
    },
  }, async (req, reply) => {
    await service.delete(callerOf(req), req.params.scopeMap);
    return reply.code(204).send(null);
  });
};
