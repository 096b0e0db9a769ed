import { ImportFailure } from './import-failure.ts';
import { readLimited, type SourceHttp } from './source-http.ts';

/** What the caller gave for the source: a user and password (or token), or a refresh token alone. */
export interface SourceCredentials {
  readonly username?: string;
  readonly password: string;
}

/** ACR's and Wharf's user name for a refresh token presented as a password (spec 1.5). */
export const NULL_GUID = '00000000-0000-0000-0000-000000000000';

export interface Challenge {
  readonly scheme: string;
  readonly params: Readonly<Record<string, string>>;
}

/** Parses `WWW-Authenticate: Bearer realm="…",service="…",scope="…"` (RFC 7235 auth-params). */
export function parseChallenge(header: string | undefined): Challenge | undefined {
  const match = header?.match(/^\s*([A-Za-z][A-Za-z0-9._~+/-]*)\s*(.*)$/s);
  if (!match) return undefined;
  const params: Record<string, string> = {};
  for (const p of match[2]!.matchAll(/([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g)) {
    params[p[1]!.toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : p[3]!;
  }
  return { scheme: match[1]!.toLowerCase(), params };
}

export function basicHeader(credentials: SourceCredentials): string {
  return `Basic ${Buffer.from(`${credentials.username ?? NULL_GUID}:${credentials.password}`, 'utf8').toString('base64')}`;
}

/**
 * The Authorization header a challenge asks for (distribution token auth): Basic with the
 * credentials as they are, or Bearer with a token for `repository:<repo>:pull` from the realm.
 * A password without user name (or under the null GUID) is a refresh token: OAuth2 refresh grant.
 */
export async function answerChallenge(
  http: SourceHttp,
  challenge: Challenge,
  repository: string,
  credentials: SourceCredentials | undefined,
  signal: AbortSignal,
): Promise<string> {
  if (challenge.scheme === 'basic') {
    if (credentials === undefined) throw new ImportFailure('the source registry asks for credentials: give a user name and password', 'SourceUnauthorized');
    return basicHeader(credentials);
  }
  if (challenge.scheme !== 'bearer') throw new ImportFailure(`the source registry asks for ${challenge.scheme} authentication, which import does not speak`, 'SourceUnauthorized');
  const realm = challenge.params['realm'];
  if (realm === undefined) throw new ImportFailure('the source registry\'s Bearer challenge names no realm', 'SourceUnauthorized');
  const scope = `repository:${repository}:pull`;
  const body = credentials !== undefined && (credentials.username === undefined || credentials.username === NULL_GUID)
    ? await refreshGrant(http, new URL(realm), challenge.params['service'], scope, credentials.password, signal)
    : await tokenGet(http, new URL(realm), challenge.params['service'], scope, credentials, signal);
  const token = body.token ?? body.access_token;
  if (typeof token !== 'string' || token === '') throw new ImportFailure(`the token server ${new URL(realm).host} answered without a token`, 'SourceUnauthorized');
  return `Bearer ${token}`;
}

interface TokenBody {
  token?: unknown;
  access_token?: unknown;
}

async function tokenGet(http: SourceHttp, realm: URL, service: string | undefined, scope: string, credentials: SourceCredentials | undefined, signal: AbortSignal): Promise<TokenBody> {
  const url = new URL(realm);
  if (service !== undefined) url.searchParams.set('service', service);
  url.searchParams.set('scope', scope);
  const res = await http.get(url, {
    signal,
    authorization: (origin) => (credentials !== undefined && origin === realm.origin ? basicHeader(credentials) : undefined),
  });
  return tokenBody(res.statusCode ?? 0, await readLimited(res, 1024 * 1024, 'token response'), realm);
}

async function refreshGrant(http: SourceHttp, realm: URL, service: string | undefined, scope: string, refreshToken: string, signal: AbortSignal): Promise<TokenBody> {
  const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, scope, client_id: 'wharf-import' });
  if (service !== undefined) form.set('service', service);
  const res = await http.post(realm, form.toString(), signal);
  return tokenBody(res.statusCode ?? 0, await readLimited(res, 1024 * 1024, 'token response'), realm);
}

function tokenBody(status: number, bytes: Buffer, realm: URL): TokenBody {
  if (status === 401 || status === 403) throw new ImportFailure(`the source registry's token server ${realm.host} refused the credentials (HTTP ${status})`, 'SourceUnauthorized');
  if (status !== 200) throw new ImportFailure(`the token server ${realm.host} answered HTTP ${status}`, 'SourceUnauthorized');
  try {
    return JSON.parse(bytes.toString('utf8')) as TokenBody;
  } catch {
    throw new ImportFailure(`the token server ${realm.host} answered with a body that is not JSON`, 'SourceUnauthorized');
  }
}
