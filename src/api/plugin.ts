import type { FastifyInstance, RouteOptions } from 'fastify';
import type { TokenRouteDeps } from '../auth/token-routes.ts';
import { WharfError } from '../errors/wharf-error.ts';
import type { AccessRecords } from '../storage/metadata-store.ts';
import type { ContentTrustAdmin } from '../trust/content-trust-admin.ts';
import type { KeyVault } from '../trust/key-vault.ts';
import { keepChangeAnswer, recordApiChange } from './audit/api-changes.ts';
import type { AuditApiDeps } from './audit/deps.ts';
import { auditRoutes } from './audit/routes.ts';
import { Authorization } from './authorization.ts';
import { authenticateCaller, type CallerDeps } from './caller.ts';
import { setCaller, type ApiApp, type ApiContext, type ApiRoutes } from './context.ts';
import { sendArmError } from './errors.ts';
import { openApiDocument, type DocumentedRoute } from './openapi.ts';
import type { RegistrySettings } from './registry-settings.ts';
import { contentTrustRoutes } from './registry/content-trust-routes.ts';
import { registryRoutes } from './registry/routes.ts';
import { roleAssignmentRoutes } from './role-assignments/routes.ts';
import { scopeMapRoutes } from './scope-maps/routes.ts';
import { servicePrincipalRoutes } from './service-principals/routes.ts';
import { tokenRoutes } from './tokens/routes.ts';
import { userRoutes } from './users/routes.ts';
import { webhookRoutes } from './webhooks/routes.ts';
import { typeboxValidator } from './validation.ts';
import { importRoutes } from './import/routes.ts';
import type { ImportService } from '../import/import-service.ts';

export interface ManagementApiDeps {
  readonly ctx: ApiContext;
  readonly callers: CallerDeps;
  /** wharf import (POST /api/registry/importImage, GET /api/operations/<id>). */
  readonly imports?: ImportService;
  /** The audit log and webhooks (GET /api/audit, /api/webhooks); changes made here are recorded too. */
  readonly audit?: AuditApiDeps;
}

/** The API over the access stores, with the token service and identity resolution of setupAuth. */
export function managementApiDeps(opts: {
  access: AccessRecords; vault: KeyVault; registry: RegistrySettings; endpoint: TokenRouteDeps; contentTrust: ContentTrustAdmin;
}): ManagementApiDeps {
  const { access, vault, registry, endpoint, contentTrust } = opts;
  const authz = new Authorization(access, registry.id);
  return {
    ctx: { access, registry, vault, authz, contentTrust, loginServer: endpoint.login.primary, now: Date.now },
    callers: { identity: endpoint.identity, tokens: endpoint.tokens, login: endpoint.login, access, events: endpoint.events },
  };
}

const RESOURCES: readonly ApiRoutes[] = [registryRoutes, contentTrustRoutes, userRoutes, servicePrincipalRoutes, roleAssignmentRoutes, scopeMapRoutes, tokenRoutes];
const OPENAPI_URL = '/api/openapi.json';

/**
 * The management API (api-contract), registered with prefix `/api`: every route but the OpenAPI
 * document authenticates a user or service principal first (onRequest, before the body is read),
 * then validates against its TypeBox schemas; every failure is an ARM error body.
 */
export async function managementApi(app: FastifyInstance, opts: { deps: ManagementApiDeps }): Promise<void> {
  const api = app as unknown as ApiApp;
  const { ctx, callers } = opts.deps;
  const routes: DocumentedRoute[] = [];
  api.addHook('onRoute', (route: RouteOptions) => {
    routes.push({ method: route.method, url: route.url, schema: route.schema });
  });
  api.setValidatorCompiler(typeboxValidator);
  // Responses are written as the presenters build them; the response schemas document them.
  api.setSerializerCompiler(() => (data) => JSON.stringify(data));
  api.setErrorHandler(sendArmError);
  api.setNotFoundHandler((req) => {
    throw new WharfError('NOT_FOUND', `no management route ${req.method} ${req.url.split('?')[0] ?? ''}; see ${OPENAPI_URL}`);
  });
  api.addHook('onRequest', async (req) => {
    if (req.routeOptions.url === OPENAPI_URL) return;
    setCaller(req, await authenticateCaller(req, callers));
  });
  const { audit } = opts.deps;
  if (audit) {
    api.addHook('onSend', async (req, _reply, payload) => {
      keepChangeAnswer(req, payload);
      return payload;
    });
    api.addHook('onResponse', async (req, reply) => recordApiChange(audit.events, req, reply));
  }
  // POST routes whose body is all optional may be sent without one.
  api.addHook('preValidation', async (req) => {
    if (req.body === undefined && (req.method === 'POST' || req.method === 'PATCH')) req.body = {};
  });

  let document: Record<string, unknown> | undefined;
  api.get('/openapi.json', async (_req, reply) => {
    document ??= openApiDocument(routes);
    return reply.type('application/json').send(JSON.stringify(document));
  });
  for (const resource of RESOURCES) await api.register(resource, { ctx });
  if (opts.deps.imports) await api.register(importRoutes, { ctx, imports: opts.deps.imports });
  if (audit) {
    await api.register(auditRoutes, { ctx, audit });
    await api.register(webhookRoutes, { ctx, audit });
  }
}

/** With auth off there is nobody to authorize: every /api request gets a 404 saying so. */
export async function managementApiDisabled(app: FastifyInstance): Promise<void> {
  app.setErrorHandler(sendArmError);
  app.all('/*', async () => {
    throw new WharfError('NOT_FOUND', 'the management API needs authentication: start Wharf with auth.enabled=true');
  });
  app.all('/', async () => {
    throw new WharfError('NOT_FOUND', 'the management API needs authentication: start Wharf with auth.enabled=true');
  });
}
