import { randomUUID } from 'node:crypto';
import { errors as jose, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import { grantFactsFor, type GrantContext } from './grant-facts.ts';
import type { Principal, RefreshClaims, RefreshTokenVerifier } from './identity.ts';
import { grantActions } from './permissions.ts';
import { formatScopes, mergeScopes, parseScopes, requestsOnlyPull, type ScopeError } from './scopes.ts';
import { TOKEN_ALGORITHM, type TokenKeys } from './token-keys.ts';
import { VerifiedTokens } from './verified-tokens.ts';

/** One `access` claim entry (spec 1.4): the name as requested, the concrete actions granted (maybe none). */
export interface AccessEntry {
  readonly type: string;
  readonly name: string;
  readonly actions: readonly string[];
}

/**
 * How the token was asked for: `get` is `GET /oauth2/token` (Basic, including the null-GUID refresh
 * login), `password` and `refresh_token` are the POST grants (spec 1.2, 1.3).
 */
export type TokenGrant = 'get' | 'password' | 'refresh_token';

export interface IssueRequest {
  readonly service: string;
  /** Raw `scope` values: repeated, each possibly a space-separated list. */
  readonly scopes: readonly string[];
  /** undefined: anonymous (no Authorization). */
  readonly principal: Principal | undefined;
  /** `access_type=offline` on a POST password grant; GET `offline_token=true` changes nothing [W]. */
  readonly offline: boolean;
  readonly grant: TokenGrant;
}

/** The token endpoint's JSON body; `refresh_token` only for an offline password grant by a user or SP. */
export interface TokenResponse {
  readonly token: string;
  readonly access_token: string;
  readonly expires_in: number;
  readonly issued_at: string;
  readonly refresh_token?: string;
}

/**
 * `invalid_service`: `service` is not this registry (400); `invalid_scope`: a malformed scope (400);
 * `unauthorized`: anonymous and not everything asked is anonymous pull (401 with a challenge).
 */
export type IssueResult =
  | { ok: true; response: TokenResponse; access: AccessEntry[]; /** granted scopes, space-separated (POST `scope`) */ scope: string }
  | { ok: false; reason: 'invalid_service' | 'unauthorized' }
  | { ok: false; reason: 'invalid_scope'; error: ScopeError };

/** Why a token was refused; the /v2 gate answers each with `error="invalid_token"`. */
export type TokenRejection =
  | 'malformed' | 'bad_algorithm' | 'unknown_key' | 'bad_signature' | 'expired' | 'not_yet_valid'
  | 'wrong_audience' | 'wrong_issuer' | 'wrong_token_type';

export type VerifiedAccess = { ok: true; subject: string; access: AccessEntry[] } | { ok: false; reason: TokenRejection };

export interface TokenServiceOptions extends GrantContext {
  readonly keys: TokenKeys;
  /** `iss` of every token. */
  readonly issuer: string;
  /** The login names clients may ask tokens for (`service`, then `aud`). */
  readonly services: readonly string[];
  /** Access-token lifetime, default 900 s, never below 60 s (spec 1.4). */
  readonly accessTtlSeconds?: number;
  /** Refresh-token lifetime, default 3 h. */
  readonly refreshTtlSeconds?: number;
  /** Accepted clock difference between nodes, default 30 s. */
  readonly clockToleranceSeconds?: number;
  /** Milliseconds since the epoch; tests move it. */
  readonly now?: () => number;
}

const ACCESS_TTL = 900;
const MIN_ACCESS_TTL = 60;
const REFRESH_TTL = 3 * 3600;
const CLOCK_TOLERANCE = 30;

class UnknownKey extends Error {}

/**
 * The Docker token service (shared/specs/access-and-policy.md 1.2–1.4) with no HTTP in it: issues
 * ES256 access tokens carrying the intersection of requested and held access, refresh tokens for
 * offline password grants, and verifies both.
 */
export class TokenService implements RefreshTokenVerifier {
  readonly #o: TokenServiceOptions;
  readonly #now: () => number;
  readonly #verified: VerifiedTokens<VerifiedAccess>;

  constructor(options: TokenServiceOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#verified = new VerifiedTokens({ now: this.#now });
  }

  /** An access token (and maybe a refresh token). Never an error for missing rights: they are just not granted. */
  async issue(request: IssueRequest): Promise<IssueResult> {
    if (!this.#o.services.includes(request.service)) return { ok: false, reason: 'invalid_service' };
    const parsed = parseScopes(request.scopes);
    if (!parsed.ok) return { ok: false, reason: 'invalid_scope', error: parsed.error };
    const requested = mergeScopes(parsed.value);
    const { principal } = request;
    // Anonymous: only pull, only when enabled; else 401 so clients retry with credentials (spec 1.2 [W]).
    if (principal === undefined && !(requestsOnlyPull(requested) && (await this.#o.anonymousPullEnabled()))) {
      return { ok: false, reason: 'unauthorized' };
    }
    const facts = await grantFactsFor(principal, this.#o);
    const access: AccessEntry[] = requested.map((s) => ({ type: s.type, name: s.name, actions: grantActions(s, facts) }));
    const iat = Math.floor(this.#now() / 1000);
    const ttl = Math.max(this.#o.accessTtlSeconds ?? ACCESS_TTL, MIN_ACCESS_TTL);
    const subject = principal?.id ?? '';
    const token = await this.#sign({ access, grant_type: 'access_token' }, subject, request.service, iat, ttl);
    const wantsRefresh = request.grant === 'password' && request.offline && principal?.via === 'password';
    const refresh = wantsRefresh && (principal.kind === 'user' || principal.kind === 'servicePrincipal')
      ? await this.#signRefresh(principal, principal.kind, request.service, iat)
      : undefined;
    const response: TokenResponse = {
      token, access_token: token, expires_in: ttl, issued_at: new Date(iat * 1000).toISOString(),
      ...(refresh === undefined ? {} : { refresh_token: refresh }),
    };
    return { ok: true, response, access, scope: formatScopes(access.filter((a) => a.actions.length > 0)) };
  }

  /**
   * Verifies an access token for `service`: signature by an unretired key, ES256 only, audience, times,
   * shape. A token verified before is answered from VerifiedTokens (docker sends one token many times).
   */
  /** verifyAccessToken's answer when this token was verified recently (synchronous: the gate's hot path). */
  cachedAccessToken(jwt: string, expected: { service: string }): Extract<VerifiedAccess, { ok: true }> | undefined {
    return this.#verified.get(jwt, expected.service, this.#o.keys.retirements) as Extract<VerifiedAccess, { ok: true }> | undefined;
  }

  async verifyAccessToken(jwt: string, expected: { service: string }): Promise<VerifiedAccess> {
    const epoch = this.#o.keys.retirements;
    const cached = this.#verified.get(jwt, expected.service, epoch);
    if (cached !== undefined) return cached;
    const verified = await this.#verify(jwt, expected.service, 'access_token');
    if (!verified.ok) return verified;
    const { sub, access, exp } = verified.payload;
    if (typeof sub !== 'string' || !isAccessList(access)) return { ok: false, reason: 'malformed' };
    const result: VerifiedAccess = { ok: true, subject: sub, access: access.map((a) => ({ type: a.type, name: a.name, actions: [...a.actions] })) };
    // jwtVerify required `exp`; it accepts a token until exp plus the clock tolerance.
    this.#verified.set(jwt, expected.service, epoch, result, ((exp as number) + (this.#o.clockToleranceSeconds ?? CLOCK_TOLERANCE)) * 1000);
    return result;
  }

  /** Verifies a refresh token's signature and claims only; IdentityResolver.fromRefreshToken checks the principal. */
  async verifyRefreshToken(jwt: string, expected: { service: string }): Promise<{ ok: true; claims: RefreshClaims } | { ok: false; reason: TokenRejection }> {
    const verified = await this.#verify(jwt, expected.service, 'refresh_token');
    if (!verified.ok) return verified;
    const { sub, cid, ver, ptyp } = verified.payload;
    if (typeof sub !== 'string' || typeof cid !== 'string' || !Number.isSafeInteger(ver) || (ptyp !== 'user' && ptyp !== 'servicePrincipal')) {
      return { ok: false, reason: 'malformed' };
    }
    return { ok: true, claims: { subject: sub, principalKind: ptyp, credentialId: cid, credentialVersion: ver as number } };
  }

  /** Spec 1.4: no rights inside, only who and which credential version; rights are computed at each use. */
  async #signRefresh(principal: Principal, kind: 'user' | 'servicePrincipal', service: string, iat: number): Promise<string> {
    const claims = { grant_type: 'refresh_token', cid: principal.credentialId, ver: principal.credentialVersion, ptyp: kind };
    return this.#sign(claims, principal.id, service, iat, this.#o.refreshTtlSeconds ?? REFRESH_TTL);
  }

  async #sign(claims: JWTPayload, subject: string, audience: string, iat: number, ttl: number): Promise<string> {
    const key = await this.#o.keys.signingKey();
    return new SignJWT({ ...claims, version: '1.0' })
      .setProtectedHeader({ typ: 'JWT', alg: TOKEN_ALGORITHM, kid: key.kid })
      .setIssuer(this.#o.issuer)
      .setSubject(subject)
      .setAudience(audience)
      .setIssuedAt(iat)
      .setNotBefore(iat)
      .setExpirationTime(iat + ttl)
      .setJti(randomUUID())
      .sign(key.privateKey);
  }

  async #verify(jwt: string, audience: string, grantType: string): Promise<{ ok: true; payload: JWTPayload } | { ok: false; reason: TokenRejection }> {
    try {
      const { payload } = await jwtVerify(jwt, async (header) => {
        const key = header.kid === undefined ? undefined : await this.#o.keys.verificationKey(header.kid);
        if (key === undefined) throw new UnknownKey();
        return key;
      }, {
        algorithms: [TOKEN_ALGORITHM],
        audience,
        issuer: this.#o.issuer,
        requiredClaims: ['exp', 'nbf', 'iat', 'sub', 'jti'],
        clockTolerance: this.#o.clockToleranceSeconds ?? CLOCK_TOLERANCE,
        currentDate: new Date(this.#now()),
      });
      // A refresh token is no access token, nor the reverse, though one key signs both.
      if (payload['grant_type'] !== grantType || payload['version'] !== '1.0') return { ok: false, reason: 'wrong_token_type' };
      return { ok: true, payload };
    } catch (err) {
      return { ok: false, reason: rejection(err) };
    }
  }
}

function rejection(err: unknown): TokenRejection {
  if (err instanceof UnknownKey) return 'unknown_key';
  if (err instanceof jose.JOSEAlgNotAllowed || err instanceof jose.JOSENotSupported) return 'bad_algorithm';
  if (err instanceof jose.JWSSignatureVerificationFailed) return 'bad_signature';
  if (err instanceof jose.JWTExpired) return 'expired';
  if (err instanceof jose.JWTClaimValidationFailed) {
    if (err.claim === 'aud') return 'wrong_audience';
    if (err.claim === 'iss') return 'wrong_issuer';
    if (err.claim === 'nbf' || (err.claim === 'iat' && err.reason === 'check_failed')) return 'not_yet_valid';
  }
  return 'malformed';
}

function isAccessList(value: unknown): value is { type: string; name: string; actions: string[] }[] {
  return Array.isArray(value) && value.every((e: unknown) => {
    if (typeof e !== 'object' || e === null) return false;
    const { type, name, actions } = e as Record<string, unknown>;
    return typeof type === 'string' && typeof name === 'string' && Array.isArray(actions) && actions.every((a) => typeof a === 'string');
  });
}
