import Type from 'typebox';
import { callerOf, type ApiRoutes } from '../context.ts';
import { errors, NoContent } from '../schemas.ts';
import { presentSecret, presentServicePrincipal } from './presenter.ts';
import {
  CredentialReset, ServicePrincipal, ServicePrincipalCreate, ServicePrincipalParams, ServicePrincipalSecret, ServicePrincipalUpdate,
} from './schemas.ts';
import { ServicePrincipalService } from './service.ts';

/** `/api/servicePrincipals` (wharf ad sp …). */
export const servicePrincipalRoutes: ApiRoutes = async (app, { ctx }) => {
  const service = new ServicePrincipalService(ctx);
  const tags = ['servicePrincipals'];
  const tenant = () => ctx.registry.installationId;

  app.get('/servicePrincipals', {
    schema: { operationId: 'servicePrincipals_list', summary: 'Every service principal; access/read', tags, response: { 200: Type.Array(ServicePrincipal), ...errors() } },
  }, async (req) => (await service.list(callerOf(req))).map(presentServicePrincipal));

  app.post('/servicePrincipals', {
    schema: {
      operationId: 'servicePrincipals_create', summary: 'Create a service principal with a secret shown once, optionally with a role (create-for-rbac); access/write', tags,
      body: ServicePrincipalCreate, response: { 201: ServicePrincipalSecret, ...errors(400, 409) },
    },
  }, async (req, reply) => {
    const { sp, password } = await service.create(callerOf(req), req.body);
    return reply.code(201).send(presentSecret(sp, password, tenant(), true));
  });

  app.get('/servicePrincipals/:servicePrincipal', {
    schema: {
      operationId: 'servicePrincipals_show', summary: 'One service principal; access/read, or itself', tags,
      params: ServicePrincipalParams, response: { 200: ServicePrincipal, ...errors(404) },
    },
  }, async (req) => presentServicePrincipal(await service.get(callerOf(req), req.params.servicePrincipal)));

  app.patch('/servicePrincipals/:servicePrincipal', {
    schema: {
      operationId: 'servicePrincipals_update', summary: 'Change displayName or accountEnabled; access/write', tags,
      params: ServicePrincipalParams, body: ServicePrincipalUpdate, response: { 200: ServicePrincipal, ...errors(400, 404) },
    },
  }, async (req) => presentServicePrincipal(await service.update(callerOf(req), req.params.servicePrincipal, req.body)));

  app.delete('/servicePrincipals/:servicePrincipal', {
    schema: {
      operationId: 'servicePrincipals_delete', summary: 'Delete a service principal and its role assignments; access/write', tags,
      params: ServicePrincipalParams, response: { 204: NoContent, ...errors(400, 404) },
    },
  }, async (req, reply) => {
    await service.delete(callerOf(req), req.params.servicePrincipal);
    return reply.code(204).send(null);
  });

  app.post('/servicePrincipals/:servicePrincipal/credentials/reset', {
    schema: {
      operationId: 'servicePrincipals_resetCredentials', summary: 'Replace every secret by a new one, shown once; access/write', tags,
      params: ServicePrincipalParams, body: CredentialReset, response: { 200: ServicePrincipalSecret, ...errors(400, 404) },
    },
  }, async (req) => {
    const { sp, password } = await service.resetCredentials(callerOf(req), req.params.servicePrincipal, req.body.years);
    return presentSecret(sp, password, tenant(), false);
  });
};
