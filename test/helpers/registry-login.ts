import { Headers, type RequestInit, type Response } from 'undici';

/** A user name and password, as `docker login` takes them. */
export interface Credentials {
  readonly username: string;
  readonly password: string;
}

type Fetch = (path: string, init?: RequestInit) => Promise<Response>;

interface Realm {
  /** Path of the token endpoint on the same origin, e.g. /oauth2/token. */
  readonly path: string;
  readonly service: string;
}

interface AccessToken {
  readonly token: string;
  readonly expiresAt: number;
}

// Renew a little before expiry, so that no request leaves with a token about to die.
const EXPIRY_MARGIN_MS = 30_000;

/**
 * A logged-in HTTP client of a registry, as docker is after `docker login`: `GET /v2/` finds the
 * token realm (or that the registry is open), one offline password grant gets a refresh token (the
 * only password check: one scrypt per client, not one per request), and each request then carries
 * an access token for the scopes its path needs, fetched with the refresh token and cached per
 * scope set. A 401 whose challenge names another scope is retried once with that scope added.
 * /api requests carry the refresh token itself, as `wharf login` does.
 */
export class RegistryLogin {
  readonly #fetch: Fetch;
  readonly credentials: Credentials;
  #realm: Promise<Realm | undefined> | undefined;
  #refreshToken: Promise<string> | undefined;
  readonly #tokens = new Map<string, Promise<AccessToken>>();

  /** `fetch` sends requests without credentials to the registry's origin. */
  constructor(fetch: Fetch, credentials: Credentials) {
    this.#fetch = fetch;
    this.credentials = credentials;
  }

  /** The Authorization header for `path`; undefined when the registry needs none (auth disabled). */
  async authorization(path: string): Promise<string | undefined> {
    const realm = await this.#discover();
    if (realm === undefined || !needsCredentials(path)) return undefined;
    if (path.startsWith('/api/')) return `Bearer ${await this.#refresh(realm)}`;
    try {
      return `Bearer ${await this.#accessToken(realm, scopesFor(path))}`;
    } catch (err) {
      // A name no scope can spell (garbage-input tests): a token without access, as a stranger has.
      if (!(err instanceof InvalidScope)) throw err;
      return `Bearer ${await this.#accessToken(realm, [])}`;
    }
  }

  /** fetch with the Authorization header for `path`; a header given in `init` is sent unchanged. */
  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (headers.has('authorization')) return this.#fetch(path, init);
    const authorization = await this.authorization(path);
    if (authorization === undefined) return this.#fetch(path, init);
    headers.set('authorization', authorization);
    const res = await this.#fetch(path, { ...init, headers });
    const wanted = res.status === 401 ? challengedScope(res.headers.get('www-authenticate')) : undefined;
    if (wanted === undefined || !isReplayable(init.body)) return res;
    const retry = await this.#accessToken((await this.#discover())!, [...scopesFor(path), wanted]).catch((err: unknown) => {
      if (err instanceof InvalidScope) return undefined;
      throw err;
    });
    if (retry === undefined) return res;
    await res.arrayBuffer();
    headers.set('authorization', `Bearer ${retry}`);
    return this.#fetch(path, { ...init, headers });
  }

  /** GET /v2/ without credentials: 200 means an open registry; a 401 names the token realm. */
  #discover(): Promise<Realm | undefined> {
    this.#realm ??= (async () => {
      const res = await this.#fetch('/v2/');
      await res.arrayBuffer();
      if (res.status === 200) return undefined;
      const params = challengeParams(res.headers.get('www-authenticate'));
      const realm = params.get('realm');
      const service = params.get('service');
      if (res.status !== 401 || realm === undefined || service === undefined) {
        throw new Error(`GET /v2/ answered ${res.status} with WWW-Authenticate ${res.headers.get('www-authenticate')}`);
      }
      return { path: new URL(realm).pathname, service };
    })();
    this.#realm.catch(() => (this.#realm = undefined));
    return this.#realm;
  }

  /** POST grant_type=password with access_type=offline: the refresh token (spec 1.3). */
  #refresh(realm: Realm): Promise<string> {
    this.#refreshToken ??= (async () => {
      const body = await this.#tokenRequest(realm, {
        grant_type: 'password', access_type: 'offline', client_id: 'wharf-tests', username: this.credentials.username, password: this.credentials.password,
      }, []);
      if (typeof body.refresh_token !== 'string') throw new Error('the password grant returned no refresh_token');
      return body.refresh_token;
    })();
    this.#refreshToken.catch(() => (this.#refreshToken = undefined));
    return this.#refreshToken;
  }

  async #accessToken(realm: Realm, scopes: readonly string[]): Promise<string> {
    const key = [...new Set(scopes)].sort().join(' ');
    const cached = await this.#tokens.get(key)?.catch(() => undefined);
    if (cached !== undefined && cached.expiresAt > Date.now()) return cached.token;
    const pending = (async (): Promise<AccessToken> => {
      const refreshToken = await this.#refresh(realm);
      const started = Date.now();
      const body = await this.#tokenRequest(realm, { grant_type: 'refresh_token', refresh_token: refreshToken }, scopes);
      if (typeof body.access_token !== 'string' || typeof body.expires_in !== 'number') throw new Error('the refresh grant returned no access_token');
      return { token: body.access_token, expiresAt: started + body.expires_in * 1000 - EXPIRY_MARGIN_MS };
    })();
    this.#tokens.set(key, pending);
    return (await pending).token;
  }

  async #tokenRequest(realm: Realm, fields: Record<string, string>, scopes: readonly string[]): Promise<Record<string, unknown>> {
    const form = new URLSearchParams({ ...fields, service: realm.service });
    for (const scope of scopes) form.append('scope', scope);
    const res = await this.#fetch(realm.path, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() });
    const text = await res.text();
    if (res.status === 400 && text.includes('"invalid_scope"')) throw new InvalidScope(text);
    if (res.status !== 200) throw new Error(`token request (${fields['grant_type']}) answered ${res.status}: ${text.slice(0, 300)}`);
    return JSON.parse(text) as Record<string, unknown>;
  }
}

/** The token endpoint refused a scope as malformed (400 invalid_scope). */
class InvalidScope extends Error {}

/** Health, metrics, the token endpoint and the API document are open; everything else is not. */
function needsCredentials(path: string): boolean {
  return path.startsWith('/v2') || path.startsWith('/acr/v1/') || (path.startsWith('/api/') && !path.startsWith('/api/openapi.json'));
}

/**
 * The token scopes a /v2 request needs, read from its path as docker knows them from the operation:
 * every action on the repository (or GUN) named, pull on a mount's source, the catalog for listings;
 * none for `GET /v2/` (any valid token opens it).
 */
function scopesFor(path: string): string[] {
  const url = new URL(path, 'http://registry.invalid');
  const { pathname } = url;
  if (pathname === '/v2/_catalog' || pathname === '/v2/_trust/changefeed' || pathname === '/acr/v1/_catalog') return ['registry:catalog:*'];
  // /acr/v1/<repo>[/_tags|/_manifests...]: what `wharf repository` asks for.
  const metadataRepo = /^\/acr\/v1\/(.+?)(?:\/_(?:tags|manifests)(?:\/[^/]+)?)?$/.exec(pathname)?.[1];
  if (metadataRepo !== undefined) return [`repository:${metadataRepo}:metadataRead,metadataWrite,delete`];
  const gun = /^\/v2\/(.+)\/_trust\//.exec(pathname)?.[1];
  if (gun !== undefined) return [`repository:${gun}:pull,push`];
  const repo = /^\/v2\/(.+)\/(?:manifests|blobs|tags|referrers)\//.exec(pathname)?.[1];
  if (repo === undefined) return [];
  const from = url.searchParams.get('from');
  return [`repository:${repo}:pull,push,delete`, ...(from === null ? [] : [`repository:${from}:pull`])];
}

/** The `scope` of a Bearer challenge, when it names one. */
function challengedScope(header: string | null): string | undefined {
  return challengeParams(header).get('scope');
}

/** `Bearer a="x",b="y"` → {a: x, b: y}; empty for anything else. */
function challengeParams(header: string | null): Map<string, string> {
  const params = new Map<string, string>();
  if (header === null || !header.startsWith('Bearer ')) return params;
  for (const m of header.slice(7).matchAll(/([a-z_]+)="((?:[^"\\]|\\.)*)"/g)) params.set(m[1]!, m[2]!.replace(/\\(.)/g, '$1'));
  return params;
}

/** Bodies that can be sent a second time (streams cannot). */
function isReplayable(body: RequestInit['body']): boolean {
  return body === undefined || body === null || typeof body === 'string' || body instanceof Uint8Array || body instanceof URLSearchParams;
}

/** `Basic base64(user:password)`, as curl -u sends it on every request. */
export function basicAuthorization(credentials: Credentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
}
