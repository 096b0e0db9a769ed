import { callerOf, type ApiRoutes } from '../context.ts';
import { errors } from '../schemas.ts';
import { confirmsDeletion } from './content-trust-routes.ts';
import { presentAdminCredentials, presentRegistry } from './presenter.ts';
import { AdminCredentials, Registry, RegistryUpdate, RenewRequest } from './schemas.ts';
import { RegistryService } from './service.ts';

/** `/api/registry`: show and update the registry, show and renew the admin passwords. */
export const registryRoutes: ApiRoutes = async (app, { ctx }) => {
  const service = new RegistryService(ctx);
  const tags = ['registry'];

  app.get('/registry', {
    schema: { operationId: 'registry_show', summary: 'The registry (wharf show); registry/read', tags, response: { 200: Registry, ...errors() } },
  }, async (req) => {
    const view = await service.show(callerOf(req));
    return presentRegistry(view.settings, view.adminUserEnabled, ctx);
  });

  app.patch('/registry', {
    schema: {
      operationId: 'registry_update',
      summary: 'Change adminUserEnabled, anonymousPullEnabled and the content trust policy (wharf update); registry/write. '
        + 'Disabling content trust deletes trust data and needs the header x-wharf-confirm: delete-trust-data (response header x-wharf-trust-data-deleted: how many repositories lost it)',
      tags,
      body: RegistryUpdate, response: { 200: Registry, ...errors(400, 409) },
    },
  }, async (req, reply) => {
    const view = await service.update(callerOf(req), req.body, confirmsDeletion(req));
    if (view.trustDataDeleted !== undefined) reply.header('x-wharf-trust-data-deleted', view.trustDataDeleted);
    return presentRegistry(view.settings, view.adminUserEnabled, ctx);
  });

  app.get('/registry/credentials', {
    schema: {
      operationId: 'registry_credentials', summary: 'The admin account\'s passwords (wharf credential show); registry/credentials', tags,
      response: { 200: AdminCredentials, ...errors(409) },
    },
  }, async (req) => {
    const { username, password, password2 } = await service.credentials(callerOf(req));
    return presentAdminCredentials(username, password, password2);
  });

  app.post('/registry/credentials/renew', {
    schema: {
      operationId: 'registry_credentials_renew', summary: 'A new value for password or password2 (wharf credential renew); registry/credentials', tags,
      body: RenewRequest, response: { 200: AdminCredentials, ...errors(400, 409) },
    },
  }, async (req) => {
    const { username, password, password2 } = await service.renew(callerOf(req), req.body.name);
    return presentAdminCredentials(username, password, password2);
  });
};
