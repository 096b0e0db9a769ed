import type { FastifyRequest } from 'fastify';
import { callerOf, type ApiRoutes } from '../context.ts';
import { errors } from '../schemas.ts';
import { ContentTrustPolicy, ContentTrustQuery, ContentTrustReset, ContentTrustResetResult, ContentTrustUpdate } from './content-trust-schemas.ts';
import { CONFIRM_HEADER, CONFIRM_VALUE, ContentTrustService } from './content-trust-service.ts';

/** Whether the request carries `x-wharf-confirm: delete-trust-data` (spec 5.4). */
export function confirmsDeletion(req: FastifyRequest): boolean {
  return req.headers[CONFIRM_HEADER] === CONFIRM_VALUE;
}

/** `/api/registry/contentTrust`: the content trust policy, per-repository overrides, per-repository reset. */
export const contentTrustRoutes: ApiRoutes = async (app, { ctx }) => {
  const service = new ContentTrustService(ctx);
  const tags = ['content trust'];

  app.get('/registry/contentTrust', {
    schema: {
      operationId: 'content_trust_show', summary: 'The content trust policy (wharf config content-trust show); registry/read', tags,
      querystring: ContentTrustQuery, response: { 200: ContentTrustPolicy, ...errors(400) },
    },
  }, async (req) => service.show(callerOf(req), req.query.repository));

  app.patch('/registry/contentTrust', {
    schema: {
      operationId: 'content_trust_update',
      summary: 'Set the policy, or one repository pattern\'s override (wharf config content-trust update); registry/write. '
        + 'A change that disables content trust deletes trust data and needs the header x-wharf-confirm: delete-trust-data, else 409 ContentTrustDisableNotConfirmed',
      tags, body: ContentTrustUpdate, response: { 200: ContentTrustPolicy, ...errors(400, 409) },
    },
  }, async (req) => service.update(callerOf(req), req.body, confirmsDeletion(req)));

  app.post('/registry/contentTrust/reset', {
    schema: {
      operationId: 'content_trust_reset',
      summary: 'Delete one repository\'s trust data and server keys (wharf repository trust reset); trust/reset on the repository; '
        + 'needs the header x-wharf-confirm: delete-trust-data, else 409 ContentTrustDisableNotConfirmed',
      tags, body: ContentTrustReset, response: { 200: ContentTrustResetResult, ...errors(400, 409) },
    },
  }, async (req) => service.reset(callerOf(req), req.body.repository, confirmsDeletion(req)));
};
