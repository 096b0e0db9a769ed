import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe } from 'node:test';
import { decodeJwt } from 'jose';
import { Agent, fetch } from 'undici';
import { METADATA_BACKENDS, type MetadataBackend } from './backends.ts';
import { createTestDatabase } from './postgres.ts';
import { startWharf, type WharfInstance } from './wharf.ts';

export const OWNER_PASSWORD = 'api-owner-password';
export const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
export const OWNER = basic('owner', OWNER_PASSWORD);

/**
 * One JSON request to the management API through `wharf.fetch` (logged in as its owner unless
 * `auth` gives another Authorization); the body parsed, undefined when empty.
 */
export async function api(wharf: WharfInstance, method: string, path: string, body?: unknown, auth?: string): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
  if (auth) headers.authorization = auth;
  const res = await wharf.fetch(path, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
}

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

/**
 * Plain HTTPS requests to one Wharf, trusting its CA, with exactly the Authorization header given
 * (none when undefined): the management API's own authentication is what is under test.
 */
export class ApiClient {
  #agent: Agent | undefined;
  #wharf: WharfInstance | undefined;
  /** `Bearer <refresh token>` per `user:password`, for this Wharf (see bearer()). */
  #bearers = new Map<string, Promise<string>>();
  /** `<registryId>`, read from GET /api/registry by forEachAuthBackend. */
  registryId = '';

  /** Usable once attached to a started Wharf (tests declare their bodies before servers start). */
  attach(wharf: WharfInstance): this {
    this.#wharf = wharf;
    this.#agent = new Agent({ connect: { ca: readFileSync(wharf.caFile!, 'utf8') } });
    this.#bearers.clear();
    return this;
  }

  get wharf(): WharfInstance {
    if (!this.#wharf) throw new Error('the API client is not attached to a running Wharf');
    return this.#wharf;
  }

  async call<T = any>(method: string, path: string, opts: { auth?: string; body?: unknown } = {}): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = {};
    if (opts.auth !== undefined) headers['authorization'] = opts.auth;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(this.wharf.url + path, {
      method, headers, dispatcher: this.#agent!, ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers as unknown as Headers, body: text === '' ? undefined : JSON.parse(text) };
  }

  /**
   * `Bearer <refresh token>` for these credentials, obtained once per Wharf: Basic costs the server
   * one scrypt check per request, a refresh token only a signature check. For tests whose subject is
   * not Basic authentication itself; a caller whose credential version changes needs a new one.
   */
  bearer(username: string, password: string): Promise<string> {
    const key = `${username}:${password}`;
    let auth = this.#bearers.get(key);
    if (!auth) {
      auth = this.refreshToken(username, password).then((token) => `Bearer ${token}`);
      this.#bearers.set(key, auth);
    }
    return auth;
  }

  /** The owner's Authorization for management calls that are not about Basic: a cached refresh token. */
  ownerAuth(): Promise<string> {
    return this.bearer('owner', OWNER_PASSWORD);
  }

  /** A call as the owner that must answer `status`; returns the body. */
  async ok<T = any>(method: string, path: string, body?: unknown, status = method === 'POST' && !path.includes('/credentials') ? 201 : 200): Promise<T> {
    const res = await this.call<T>(method, path, { auth: await this.ownerAuth(), body });
    assert.equal(res.status, status, `${method} ${path}: ${JSON.stringify(res.body)}`);
    return res.body;
  }

  /** The access claim GET /oauth2/token grants to these credentials for the scopes. */
  async grantedAccess(auth: string, scopes: string[]): Promise<unknown[]> {
    const query = new URLSearchParams({ service: this.wharf.host });
    for (const s of scopes) query.append('scope', s);
    const res = await fetch(`${this.wharf.url}/oauth2/token?${query}`, { headers: { authorization: auth }, dispatcher: this.#agent! });
    const text = await res.text();
    assert.equal(res.status, 200, text);
    return decodeJwt((JSON.parse(text) as { token: string }).token)['access'] as unknown[];
  }

  /** A refresh token for a user or service principal (POST password grant, access_type=offline). */
  async refreshToken(username: string, password: string): Promise<string> {
    const form = new URLSearchParams({ grant_type: 'password', access_type: 'offline', service: this.wharf.host, client_id: 'test', username, password });
    const res = await fetch(`${this.wharf.url}/oauth2/token`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString(), dispatcher: this.#agent!,
    });
    const text = await res.text();
    assert.equal(res.status, 200, text);
    const token = (JSON.parse(text) as { refresh_token?: string }).refresh_token;
    assert.ok(token, text);
    return token;
  }

  /** Everything the management API can show, for checking that a refused request changed nothing. */
  async state(): Promise<unknown> {
    const [registry, users, sps, assignments, maps, tokens] = await Promise.all([
      this.ok('GET', '/api/registry'), this.ok('GET', '/api/users'), this.ok('GET', '/api/servicePrincipals'),
      this.ok('GET', '/api/roleAssignments?all=true'), this.ok('GET', '/api/scopeMaps'), this.ok('GET', '/api/tokens'),
    ]);
    return { registry, users, sps, assignments, maps, tokens };
  }

  async close(): Promise<void> {
    await this.#agent?.close();
  }
}

export interface ApiContext {
  readonly backend: MetadataBackend;
  readonly api: ApiClient;
}

/**
 * `describe('<name> [<backend>]')` per metadata backend with one Wharf started with auth enabled
 * (whatever the default) and a known owner password; tests share it and use their own names.
 */
export function forEachAuthBackend(name: string, body: (ctx: ApiContext) => void, extraEnv: Record<string, string> = {}): void {
  for (const backend of METADATA_BACKENDS) {
    describe(`${name} [${backend}]`, { timeout: 300_000 }, () => {
      let wharf: WharfInstance | undefined;
      const api = new ApiClient();
      let database: { url: string; drop(): Promise<void> } | undefined;
      before(async () => {
        if (backend === 'postgres') database = await createTestDatabase();
        wharf = await startWharf({
          ...(database ? { metadata: database.url } : {}),
          env: { WHARF_AUTH__ENABLED: 'true', WHARF_AUTH__OWNER_PASSWORD: OWNER_PASSWORD, ...extraEnv },
        });
        api.attach(wharf);
        api.registryId = (await api.ok<{ id: string }>('GET', '/api/registry')).id;
      });
      after(async () => {
        await api.close();
        await wharf?.stop();
        await database?.drop();
      });
      body({ backend, api });
    });
  }
}

/** A user made through the API as the owner, with a known password. */
export async function makeUser(api: ApiClient, name: string, password = `${name}-password`): Promise<{ objectId: string; auth: string; password: string }> {
  const user = await api.ok<{ objectId: string }>('POST', '/api/users', { userPrincipalName: name, password });
  return { objectId: user.objectId, auth: basic(name, password), password };
}

/** Assigns a role through the API as the owner. */
export async function assign(api: ApiClient, assignee: string, role: string, scope: string): Promise<{ name: string }> {
  return api.ok('POST', '/api/roleAssignments', { assignee, role, scope });
}

/** Asserts an ARM error: status, code, and a message. */
export function expectArmError(res: ApiResponse, status: number, code: string, message?: RegExp): void {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.equal(res.body?.error?.code, code, JSON.stringify(res.body));
  assert.equal(typeof res.body.error.message, 'string');
  if (message) assert.match(res.body.error.message, message);
}
