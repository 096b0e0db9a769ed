import type { FastifyRequest } from 'fastify';

/** What an `Authorization` header carries; never logged. */
export type Credentials =
  | { readonly scheme: 'basic'; readonly username: string; readonly password: string }
  | { readonly scheme: 'bearer'; readonly token: string }
  | { readonly scheme: 'unsupported' };

/** The request's credentials, undefined without an Authorization header (RFC 7617 Basic, RFC 6750 Bearer). */
export function credentialsOf(req: FastifyRequest): Credentials | undefined {
  const header = req.headers.authorization;
  if (header === undefined || header === '') return undefined;
  const space = header.indexOf(' ');
  const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
  const value = space < 0 ? '' : header.slice(space + 1).trim();
  if (scheme === 'bearer' && value !== '') return { scheme: 'bearer', token: value };
  if (scheme !== 'basic') return { scheme: 'unsupported' };
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  // The user name cannot contain ':'; the password may (RFC 7617 2).
  if (colon < 0) return { scheme: 'unsupported' };
  return { scheme: 'basic', username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * The registry's login names (spec: `<login>`): the primary one (the listen host:port, also the
 * registry name) and every other host[:port] clients may use (certificate names). A request is
 * answered with the name it was sent to, so that docker reaching `localhost:<port>` gets a realm,
 * a `service` and token audience it can use.
 */
export class LoginServer {
  readonly #names: ReadonlySet<string>;

  constructor(readonly primary: string, names: readonly string[], readonly scheme: 'https' | 'http') {
    this.#names = new Set([primary, ...names]);
  }

  /** Every login name, for the token service's accepted `service` values. */
  get names(): string[] {
    return [...this.#names];
  }

  /** The login name the request's Host header names when it is one of ours, else the primary one. */
  of(req: FastifyRequest): string {
    const host = req.headers.host;
    return host !== undefined && this.#names.has(host) ? host : this.primary;
  }

  /** The token endpoint on that login name, `https://<login>/oauth2/token`. */
  realm(login: string): string {
    return `${this.scheme}://${login}/oauth2/token`;
  }
}
