import type { FastifyRequest } from 'fastify';
import { WharfError } from '../errors/wharf-error.ts';
import { rememberPrincipal, type AccessGate, type AccessRequest } from './access-gate.ts';
import { claimedSubject, describeAccess, type AuthEvents } from './auth-events.ts';
import { challenge, type ChallengeError } from './challenge.ts';
import { credentialsOf, type LoginServer } from './credentials.ts';
import { grantFactsFor, type GrantContext } from './grant-facts.ts';
import type { IdentityResolver } from './identity.ts';
import { grantActions } from './permissions.ts';
import { NULL_GUID } from './secrets.ts';
import { formatScope } from './scopes.ts';
import type { TokenService, VerifiedAccess } from './token-service.ts';

export interface TokenGateDeps {
  readonly tokens: TokenService;
  readonly identity: IdentityResolver;
  readonly grants: GrantContext;
  readonly login: LoginServer;
  readonly events: AuthEvents;
}

/** What the request's credentials allow: the granted actions for one requested entry. */
type Grants = (entry: AccessRequest) => Promise<ReadonlySet<string>>;
/** `principal`: who the credentials proved (a name, or a token's `sub`), for denial reports; undefined for anonymous. */
type Resolved = { ok: true; principal?: string; grants: Grants } | { ok: false; error?: ChallengeError };

/**
 * The /v2 access gate with token authentication (shared/specs/access-and-policy.md 1.1, 4):
 * `Bearer` access tokens, whose `access` entry for the exact requested name must hold every asked
 * action, or `Basic` credentials checked directly [W] and granted as the token service would grant.
 * Anything else is a 401 with a Bearer challenge naming the first requested scope.
 */
export class TokenGate implements AccessGate {
  readonly #d: TokenGateDeps;

  constructor(deps: TokenGateDeps) {
    this.#d = deps;
  }

  async require(req: FastifyRequest, access: readonly AccessRequest[]): Promise<void> {
    // Hot path: a Bearer token verified recently that holds every asked action, checked without awaiting.
    const cached = this.#cachedBearer(req);
    if (cached !== undefined) {
      const granted = grantsOf(cached);
      if (access.every((entry) => satisfies(entry, granted.get(`${entry.type}:${entry.name}`) ?? NONE))) {
        rememberPrincipal(req, cached.subject === '' ? undefined : cached.subject);
        return;
      }
    }
    const resolved = await this.#resolve(req, access);
    if (!resolved.ok) throw this.#unauthorized(req, access, resolved.error);
    for (const entry of access) {
      if (await allowed(entry, await resolved.grants(entry))) continue;
      // Anonymous callers get the same challenge as callers without credentials: not a denial (auth-events.ts).
      if (resolved.principal !== undefined) this.#d.events.denied(req, { principal: resolved.principal, ...describeAccess([entry]) });
      throw this.#unauthorized(req, access, 'insufficient_scope');
    }
    rememberPrincipal(req, resolved.principal);
  }

  async mayPull(req: FastifyRequest, repo: string): Promise<boolean> {
    const entry: AccessRequest = { type: 'repository', name: repo, actions: ['pull'] };
    try {
      const resolved = await this.#resolve(req, [entry]);
      return resolved.ok && satisfies(entry, await resolved.grants(entry));
    } catch {
      return false;
    }
  }

  // One credential check per request: a mount asks mayPull after require, Basic costs a scrypt.
  // Kept on the request under a symbol: a WeakMap entry per request costs more in GC.
  #cachedBearer(req: FastifyRequest): Extract<VerifiedAccess, { ok: true }> | undefined {
    const credentials = credentialsOf(req);
    if (credentials?.scheme !== 'bearer') return undefined;
    return this.#d.tokens.cachedAccessToken(credentials.token, { service: this.#d.login.of(req) });
  }

  #resolve(req: FastifyRequest, access: readonly AccessRequest[]): Promise<Resolved> {
    const holder = req as FastifyRequest & { [RESOLVED]?: Promise<Resolved> };
    return (holder[RESOLVED] ??= this.#check(req, access));
  }

  async #check(req: FastifyRequest, access: readonly AccessRequest[]): Promise<Resolved> {
    const service = this.#d.login.of(req);
    const credentials = credentialsOf(req);
    if (credentials === undefined) return this.#anonymous(access);
    if (credentials.scheme === 'bearer') {
      const verified = await this.#d.tokens.verifyAccessToken(credentials.token, { service });
      if (!verified.ok) {
        await this.#d.events.refused(req, { credential: 'access_token', reason: verified.reason, principal: claimedSubject(credentials.token), ...describeAccess(access) });
        return { ok: false, error: 'invalid_token' };
      }
      const granted = grantsOf(verified);
      // An anonymous token (`sub` "") is anonymous here too.
      return { ok: true, ...(verified.subject === '' ? {} : { principal: verified.subject }), grants: async (entry) => granted.get(`${entry.type}:${entry.name}`) ?? NONE };
    }
    if (credentials.scheme === 'unsupported') {
      await this.#d.events.refused(req, { credential: 'header', reason: 'unsupported_scheme', ...describeAccess(access) });
      return { ok: false };
    }
    const { username, password } = credentials;
    const result = await this.#d.identity.authenticate({ username, password, service });
    if (!result.ok) {
      const credential = username === NULL_GUID ? 'refresh_token' : 'password';
      await this.#d.events.refused(req, { credential, reason: result.reason, principal: username, ...describeAccess(access) });
      return { ok: false };
    }
    const facts = await grantFactsFor(result.principal, this.#d.grants);
    return { ok: true, principal: result.principal.name, grants: async (entry) => new Set(grantActions({ type: entry.type, name: entry.name, actions: new Set(entry.actions) }, facts)) };
  }

  /** No credentials: only anonymous pull, when enabled; `GET /v2/` always needs a credential (spec 1.1). */
  async #anonymous(access: readonly AccessRequest[]): Promise<Resolved> {
    const onlyPull = access.length > 0 && access.every((a) => a.type === 'repository' && a.actions.every((x) => x === 'pull'));
    if (!onlyPull || !(await this.#d.grants.anonymousPullEnabled())) return { ok: false };
    const facts = await grantFactsFor(undefined, this.#d.grants);
    return { ok: true, grants: async (entry) => new Set(grantActions({ type: entry.type, name: entry.name, actions: new Set(entry.actions) }, facts)) };
  }

  /** 401 with the challenge of spec 1.1: the first requested scope (none on `GET /v2/`), detail listing every action. */
  #unauthorized(req: FastifyRequest, access: readonly AccessRequest[], error?: ChallengeError): WharfError {
    const login = this.#d.login.of(req);
    const first = access[0];
    const scope = first === undefined ? undefined : formatScope(first);
    const detail = access.flatMap((a) => a.actions.map((action) => ({ Type: a.type, Name: a.name, Action: action })));
    return new WharfError('UNAUTHORIZED', undefined, {
      challenge: challenge({ realm: this.#d.login.realm(login), service: login, ...(scope === undefined ? {} : { scope }), ...(error === undefined ? {} : { error }) }),
      ...(detail.length === 0 ? {} : { detail }),
    });
  }
}

const RESOLVED = Symbol('wharf.resolvedCredentials');
const NONE: ReadonlySet<string> = new Set();
// Per verified token (TokenService hands out the same object while it caches the token): its actions by `type:name`.
const grantIndexes = new WeakMap<object, Map<string, ReadonlySet<string>>>();

function grantsOf(verified: Extract<VerifiedAccess, { ok: true }>): Map<string, ReadonlySet<string>> {
  let index = grantIndexes.get(verified);
  if (index === undefined) {
    index = new Map<string, Set<string>>();
    for (const a of verified.access) {
      const key = `${a.type}:${a.name}`;
      const actions = (index.get(key) as Set<string> | undefined) ?? new Set<string>();
      for (const action of a.actions) actions.add(action);
      index.set(key, actions);
    }
    grantIndexes.set(verified, index);
  }
  return index;
}

/**
 * Every asked action is granted, or the entry is a referrer's deletion and `deleteReferrers` stands in
 * for `delete` (AcrPush, spec 3 footnote 3); the manifest is looked up only in that last case.
 */
async function allowed(entry: AccessRequest, granted: ReadonlySet<string>): Promise<boolean> {
  if (satisfies(entry, granted)) return true;
  if (entry.isReferrer === undefined || !granted.has('deleteReferrers')) return false;
  return entry.actions.every((action) => action === 'delete' || granted.has(action)) && (await entry.isReferrer());
}

/**
 * Every asked action is granted. `*` on a repository or GUN (trust DELETE, key rotation) is never
 * granted as such (spec 1.4): it needs GUN `push`, i.e. content/sign (spec 4).
 */
function satisfies(entry: AccessRequest, granted: ReadonlySet<string>): boolean {
  return entry.actions.every((action) => (action === '*' && entry.type === 'repository' ? granted.has('push') : granted.has(action)));
}
