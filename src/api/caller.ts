import type { FastifyRequest } from 'fastify';
import { claimedSubject, type AuthEvents, type AuthFailure } from '../auth/auth-events.ts';
import { credentialsOf, type LoginServer } from '../auth/credentials.ts';
import type { IdentityResolver, Principal } from '../auth/identity.ts';
import type { TokenService } from '../auth/token-service.ts';
import { WharfError } from '../errors/wharf-error.ts';
import type { AccessRecords } from '../storage/metadata-store.ts';
import { setRefusedPrincipal } from './context.ts';

/** Who calls the management API: a user or a service principal (never the admin account or a scoped token). */
export interface Caller {
  readonly kind: 'user' | 'servicePrincipal';
  readonly objectId: string;
  /** userPrincipalName or appId, for messages. */
  readonly name: string;
}

export interface CallerDeps {
  readonly identity: IdentityResolver;
  readonly tokens: TokenService;
  readonly login: LoginServer;
  readonly access: AccessRecords;
  /** The token endpoint's and /v2's failure log and backoff: guessing through /api gains nothing. */
  readonly events: AuthEvents;
}

const CHALLENGE = 'Basic realm="wharf"';

function unauthorized(message: string): WharfError {
  return new WharfError('UNAUTHORIZED', message, { challenge: CHALLENGE });
}

/**
 * Authenticates a management request (api-contract): Basic user/password or appId/secret, or a
 * Bearer refresh token (what `wharf login` keeps) or access token. No or bad credentials: 401 with
 * a Basic challenge; the admin account and scoped tokens: 403 (data plane only). A refused
 * credential is reported to AuthEvents (logged, counted, slowed down), its reason never told.
 */
export async function authenticateCaller(req: FastifyRequest, deps: CallerDeps): Promise<Caller> {
  const credentials = credentialsOf(req);
  if (credentials === undefined) throw unauthorized('authentication required: send Basic credentials or a Bearer token from wharf login');
  const refused = async (failure: Pick<AuthFailure, 'credential' | 'reason' | 'principal'>) => {
    await deps.events.refused(req, { ...failure, action: 'manage', resource: `api:${req.routeOptions.url ?? 'unmatched'}` });
    return unauthorized('the credentials were not accepted');
  };
  if (credentials.scheme === 'unsupported') {
    await refused({ credential: 'header', reason: 'unsupported_scheme' });
    throw unauthorized('unsupported Authorization header: use Basic or Bearer');
  }
  const service = deps.login.of(req);
  if (credentials.scheme === 'bearer') {
    const access = await deps.tokens.verifyAccessToken(credentials.token, { service });
    if (access.ok) return callerOfSubject(access.subject, deps.access, req);
  }
  const result = credentials.scheme === 'bearer'
    ? await deps.identity.fromRefreshToken(credentials.token, service)
    : await deps.identity.authenticate({ username: credentials.username, password: credentials.password, service });
  if (!result.ok) {
    throw await refused(credentials.scheme === 'bearer'
      ? { credential: 'refresh_token', reason: result.reason, principal: claimedSubject(credentials.token) }
      : { credential: 'password', reason: result.reason, principal: credentials.username });
  }
  return callerOf(result.principal, req);
}

function callerOf(principal: Principal, req: FastifyRequest): Caller {
  if (principal.kind === 'user' || principal.kind === 'servicePrincipal') {
    return { kind: principal.kind, objectId: principal.id, name: principal.name };
  }
  setRefusedPrincipal(req, { name: principal.name });
  const what = principal.kind === 'admin' ? 'the admin account' : 'a scoped token';
  throw new WharfError('DENIED', `${what} can only push and pull (data plane); sign in as a user or service principal to manage the registry`);
}

/** An access token names its subject only: it must still be an enabled user or service principal. */
async function callerOfSubject(subject: string, access: AccessRecords, req: FastifyRequest): Promise<Caller> {
  const user = await access.users.get(subject);
  if (user?.isEnabled) return { kind: 'user', objectId: user.objectId, name: user.userPrincipalName };
  const sp = user ? undefined : await access.servicePrincipals.get(subject);
  if (sp?.isEnabled) return { kind: 'servicePrincipal', objectId: sp.objectId, name: sp.appId };
  if (user || sp) {
    req.log.info({ reason: 'disabled' }, 'management credentials refused');
    throw unauthorized('the credentials were not accepted');
  }
  // The admin account's or a scoped token's access token: the denial names who it was.
  setRefusedPrincipal(req, { id: subject });
  throw new WharfError('DENIED', 'only users and service principals may manage the registry');
}
