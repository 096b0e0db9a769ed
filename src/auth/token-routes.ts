import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ociErrorBody, toWharfError } from '../errors/render.ts';
import { WharfError } from '../errors/wharf-error.ts';
import type { AuthEvents, CredentialKind } from './auth-events.ts';
import { credentialsOf, type LoginServer } from './credentials.ts';
import type { IdentityResolver, Principal } from './identity.ts';
import { NULL_GUID } from './secrets.ts';
import type { IssueResult, TokenGrant, TokenService } from './token-service.ts';

export interface TokenRouteDeps {
  readonly tokens: TokenService;
  readonly identity: IdentityResolver;
  readonly login: LoginServer;
  readonly events: AuthEvents;
}

const FORM_LIMIT = 64 * 1024;

/** A 400 in the OAuth2 error shape (RFC 6749 5.2), which docker's token client also reads. */
class OAuthError extends Error {
  constructor(readonly error: 'invalid_request' | 'invalid_scope' | 'unsupported_grant_type', readonly description: string) {
    super(description);
  }
}

/**
 * The Docker token endpoint (shared/specs/access-and-policy.md 1.2, 1.3): `GET /oauth2/token` with
 * optional Basic credentials, `POST /oauth2/token` with an OAuth2 form. Neither the Authorization
 * header, the form nor any token is ever logged.
 */
export async function tokenRoutes(app: FastifyInstance, opts: { deps: TokenRouteDeps }): Promise<void> {
  const { deps } = opts;
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: FORM_LIMIT }, (_req, body, done) => {
    done(null, new URLSearchParams(body as string));
  });
  app.setErrorHandler((err, req, reply) => {
    if (err instanceof OAuthError) return reply.code(400).header('content-type', 'application/json').send(Buffer.from(JSON.stringify({ error: err.error, error_description: err.description })));
    const error = toWharfError(err);
    if (error.status >= 500) req.log.error({ err }, 'token request failed');
    return reply.code(error.status).header('content-type', 'application/json').send(Buffer.from(JSON.stringify(ociErrorBody(error))));
  });

  app.get('/oauth2/token', async (req, reply) => {
    const query = new URL(req.url, 'http://localhost').searchParams;
    const service = serviceOf(query.get('service'), deps.login);
    const credentials = credentialsOf(req);
    const scopes = query.getAll('scope');
    let principal: Principal | undefined;
    if (credentials !== undefined) {
      if (credentials.scheme !== 'basic') {
        await deps.events.refused(req, { credential: 'header', reason: 'unsupported_scheme', action: 'token', resource: resourceOf(scopes, service) });
        throw new WharfError('UNAUTHORIZED');
      }
      const { username } = credentials;
      principal = await authenticated(req, deps, deps.identity.authenticate({ ...credentials, service }), {
        credential: username === NULL_GUID ? 'refresh_token' : 'password', principal: username, resource: resourceOf(scopes, service),
      });
    }
    const result = await deps.tokens.issue({ service, scopes, principal, offline: false, grant: 'get' });
    const { token, access_token, expires_in, issued_at } = issued(result).response;
    send(reply, { token, access_token, expires_in, issued_at });
  });

  app.post('/oauth2/token', async (req, reply) => {
    const form = req.body instanceof URLSearchParams ? req.body : undefined;
    if (!form) throw new OAuthError('invalid_request', 'expected an application/x-www-form-urlencoded body');
    const service = serviceOf(form.get('service'), deps.login);
    const grantType = form.get('grant_type');
    let principal: Principal;
    let grant: TokenGrant;
    const resource = resourceOf(form.getAll('scope'), service);
    if (grantType === 'password') {
      const username = form.get('username');
      const password = form.get('password');
      if (!username || password === null) throw new OAuthError('invalid_request', 'username and password are required');
      principal = await authenticated(req, deps, deps.identity.authenticate({ username, password, service }), {
        credential: username === NULL_GUID ? 'refresh_token' : 'password', principal: username, resource,
      });
      grant = principal.via === 'refresh_token' ? 'refresh_token' : 'password';
    } else if (grantType === 'refresh_token') {
      const refresh = form.get('refresh_token');
      if (!refresh) throw new OAuthError('invalid_request', 'refresh_token is required');
      principal = await authenticated(req, deps, deps.identity.fromRefreshToken(refresh, service), { credential: 'refresh_token', resource });
      grant = 'refresh_token';
    } else {
      throw new OAuthError('unsupported_grant_type', 'grant_type must be password or refresh_token');
    }
    const offline = form.get('access_type') === 'offline';
    const result = issued(await deps.tokens.issue({ service, scopes: form.getAll('scope'), principal, offline, grant }));
    const { access_token, expires_in, issued_at, refresh_token } = result.response;
    send(reply, { access_token, expires_in, issued_at, scope: result.scope, ...(refresh_token === undefined ? {} : { refresh_token }) });
  });
}

function serviceOf(service: string | null, login: LoginServer): string {
  if (!service) throw new OAuthError('invalid_request', 'service is required');
  if (!login.names.includes(service)) throw new OAuthError('invalid_request', 'service is not this registry');
  return service;
}

/** The principal, or a 401 once the refusal is reported (and its backoff waited out). */
async function authenticated(
  req: FastifyRequest,
  deps: TokenRouteDeps,
  pending: ReturnType<IdentityResolver['authenticate']>,
  tried: { credential: CredentialKind; principal?: string; resource: string },
): Promise<Principal> {
  const result = await pending;
  if (result.ok) return result.principal;
  await deps.events.refused(req, { ...tried, reason: result.reason, action: 'token' });
  throw new WharfError('UNAUTHORIZED');
}

/** What a token request asked for, as the auth events name it: its scopes, or the registry. */
function resourceOf(scopes: readonly string[], service: string): string {
  return scopes.length === 0 ? service : scopes.join(' ');
}

function issued(result: IssueResult): Extract<IssueResult, { ok: true }> {
  if (result.ok) return result;
  if (result.reason === 'invalid_service') throw new OAuthError('invalid_request', 'service is not this registry');
  if (result.reason === 'invalid_scope') throw new OAuthError('invalid_scope', result.error.message);
  throw new WharfError('UNAUTHORIZED');
}

function send(reply: FastifyReply, body: Record<string, unknown>): void {
  reply.code(200).header('content-type', 'application/json').header('cache-control', 'no-store').send(Buffer.from(JSON.stringify(body)));
}
