import type { ApiClient } from './api-client.ts';
import { oneLine } from './api-client.ts';
import { CliError, type CliErrorKind } from './cli-error.ts';
import { send, type HttpResponse } from './http-client.ts';

const CLIENT_ID = 'wharf-cli';

/**
 * The data plane (/acr/v1 and /v2) as `wharf repository` and `wharf manifest` speak it: a request
 * without credentials first; on a Bearer challenge, an access token for exactly the scope it names
 * (spec 1.6 last row: the refresh grant with the stored refresh token, or GET with Basic for
 * -u/-p), then the request again. A registry without auth answers the first request.
 */
export class RegistryClient {
  readonly #api: ApiClient;
  readonly #tokens = new Map<string, string>();

  constructor(api: ApiClient) {
    this.#api = api;
  }

  get loginServer(): string {
    return this.#api.loginServer;
  }

  /** The parsed JSON answer (undefined when empty) and its headers; errors become CliErrors. */
  async call(method: string, path: string, body?: unknown): Promise<{ json: unknown; headers: HttpResponse['headers'] }> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = { accept: 'application/json', ...(payload !== undefined && { 'content-type': 'application/json' }) };
    let res = await send(this.#api.endpoint, path, { method, headers, body: payload });
    const challenge = res.status === 401 ? bearerChallenge(res.headers['www-authenticate']) : undefined;
    if (challenge) {
      const token = await this.#token(challenge);
      res = await send(this.#api.endpoint, path, { method, headers: { ...headers, authorization: `Bearer ${token}` }, body: payload });
    }
    if (res.status >= 400) throw failure(method, path, res);
    const text = res.body.toString('utf8');
    try {
      return { json: text === '' ? undefined : (JSON.parse(text) as unknown), headers: res.headers };
    } catch {
      throw new CliError('server', `${method} ${path} answered ${res.status} with a body that is not JSON`);
    }
  }

  /** Every item of a paged /acr/v1 list, following `Link: <…>; rel="next"` until `top` items. */
  async list<T>(path: string, key: string, top?: number): Promise<T[]> {
    const items: T[] = [];
    let next: string | undefined = path;
    while (next !== undefined && (top === undefined || items.length < top)) {
      const { json, headers } = await this.call('GET', next);
      items.push(...(((json as Record<string, unknown> | undefined)?.[key] as T[] | undefined) ?? []));
      next = /<([^>]+)>;\s*rel="next"/.exec(String(headers.link ?? ''))?.[1];
    }
    return top === undefined ? items : items.slice(0, top);
  }

  async #token(challenge: Map<string, string>): Promise<string> {
    const realm = new URL(challenge.get('realm')!);
    const service = challenge.get('service') ?? this.loginServer;
    const scope = challenge.get('scope');
    const key = scope ?? '';
    const cached = this.#tokens.get(key);
    if (cached) return cached;
    const credentials = this.#api.credentials;
    const endpoint = { url: realm.origin, caFile: this.#api.endpoint.caFile };
    let res: HttpResponse;
    if (credentials.scheme === 'bearer') {
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: credentials.token, service, client_id: CLIENT_ID });
      if (scope) form.set('scope', scope);
      res = await send(endpoint, realm.pathname, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() });
    } else {
      const query = new URLSearchParams({ service, client_id: CLIENT_ID, ...(scope && { scope }) });
      const basic = Buffer.from(`${credentials.username}:${credentials.password}`, 'utf8').toString('base64');
      res = await send(endpoint, `${realm.pathname}?${query.toString()}`, { method: 'GET', headers: { authorization: `Basic ${basic}` } });
    }
    const body = parse(res.body) as { access_token?: unknown; token?: unknown } | undefined;
    const token = body?.access_token ?? body?.token;
    if (res.status === 401) {
      throw new CliError('auth', credentials.scheme === 'bearer'
        ? `the login to ${this.loginServer} is no longer valid: run 'wharf login ${this.loginServer}' again`
        : `${this.loginServer} refused the user name or password`);
    }
    if (res.status !== 200 || typeof token !== 'string') throw new CliError('server', `the token endpoint of ${this.loginServer} answered ${res.status}`);
    this.#tokens.set(key, token);
    return token;
  }
}

function bearerChallenge(header: string | string[] | undefined): Map<string, string> | undefined {
  if (typeof header !== 'string' || !/^bearer\s/i.test(header)) return undefined;
  const params = new Map<string, string>();
  for (const m of header.slice(header.indexOf(' ') + 1).matchAll(/([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"/g)) params.set(m[1]!.toLowerCase(), m[2]!.replace(/\\(.)/g, '$1'));
  return params.has('realm') ? params : undefined;
}

function parse(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** `(CODE) message` from the registry's error envelope; the exit code by status (docs/cli.md). */
function failure(method: string, path: string, res: HttpResponse): CliError {
  // A 403 here is a lock (DENIED naming it), not missing rights: those end in a 401 after the token.
  const kind: CliErrorKind = res.status === 401 ? 'auth' : res.status === 404 ? 'notFound' : 'server';
  const first = (parse(res.body) as { errors?: { code?: unknown; message?: unknown }[] } | undefined)?.errors?.[0];
  const message = typeof first?.code === 'string' && typeof first.message === 'string'
    ? `(${first.code}) ${first.message}`
    : `${method} ${path} answered HTTP ${res.status}`;
  return new CliError(kind, oneLine(message));
}
