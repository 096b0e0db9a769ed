import { CliError, type CliErrorKind } from './cli-error.ts';
import { send, type Endpoint, type HttpResponse } from './http-client.ts';

/** How the CLI proves itself to /api: a stored refresh token, or a name and secret given for a script. */
export type ApiCredentials =
  | { readonly scheme: 'bearer'; readonly token: string }
  | { readonly scheme: 'basic'; readonly username: string; readonly password: string };

/**
 * The management API (`<url>/api`, notes/api-contract.md) as JSON calls. Every error answer
 * becomes a CliError carrying the server's ARM-style `(Code) message`, its kind chosen by status.
 */
export class ApiClient {
  constructor(
    readonly endpoint: Endpoint,
    readonly loginServer: string,
    readonly credentials: ApiCredentials,
  ) {}

  /** The parsed JSON body; undefined for 204. `path` is below /api and already encoded. */
  async call(method: string, path: string, body?: unknown, extraHeaders: Record<string, string> = {}): Promise<unknown> {
    const headers: Record<string, string> = { ...extraHeaders, accept: 'application/json', authorization: this.#authorization() };
    let payload: string | undefined;
    if (body !== undefined) {
      payload = JSON.stringify(body);
      headers['content-type'] = 'application/json';
    }
    const res = await send(this.endpoint, `/api${path}`, { method, headers, body: payload });
    if (res.status >= 400) throw this.#failure(res);
    if (res.status === 204 || res.body.length === 0) return undefined;
    try {
      return JSON.parse(res.body.toString('utf8')) as unknown;
    } catch {
      throw new CliError('server', `${method} /api${path} on ${this.loginServer} answered ${res.status} with a body that is not JSON`);
    }
  }

  #authorization(): string {
    const c = this.credentials;
    return c.scheme === 'bearer' ? `Bearer ${c.token}` : `Basic ${Buffer.from(`${c.username}:${c.password}`, 'utf8').toString('base64')}`;
  }

  #failure(res: HttpResponse): CliError {
    const kind: CliErrorKind = res.status === 401 || res.status === 403 ? 'auth' : res.status === 404 ? 'notFound' : 'server';
    const armError = armErrorOf(res.body);
    let message = armError ? `(${armError.code}) ${armError.message}` : `${this.loginServer} answered HTTP ${res.status}`;
    if (res.status === 401) {
      message += this.credentials.scheme === 'bearer'
        ? ` (the login to ${this.loginServer} is no longer valid: run 'wharf login ${this.loginServer}' again)`
        : ' (check the user name and password)';
    }
    if (res.status === 404 && !armError) message += ': no management API there (is it a Wharf registry, and recent enough?)';
    return new CliError(kind, oneLine(message));
  }
}

function armErrorOf(body: Buffer): { code: string; message: string } | undefined {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { error?: { code?: unknown; message?: unknown } };
    const { code, message } = parsed.error ?? {};
    return typeof code === 'string' && typeof message === 'string' ? { code, message } : undefined;
  } catch {
    return undefined;
  }
}

export function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
