import { resolve } from 'node:path';
import { ApiClient, type ApiCredentials } from './api-client.ts';
import { findRegistry, readCliConfig } from './cli-config.ts';
import { CliError } from './cli-error.ts';

/** The options every management command shares (see client-command.ts). */
export interface SessionOptions {
  /** -n/--name or -r/--registry: a registry name or login server. */
  readonly registry?: string;
  readonly username?: string;
  readonly password?: string;
  readonly caFile?: string;
}

/** `host[:port]` or a URL → base URL and login server; https unless the URL says http. */
export function parseServer(target: string): { url: string; loginServer: string } {
  let url: URL;
  try {
    url = new URL(target.includes('://') ? target : `https://${target}`);
  } catch {
    throw new CliError('usage', `'${target}' is not a registry address (host[:port])`);
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || (url.pathname !== '/' && url.pathname !== '') || url.search !== '') {
    throw new CliError('usage', `'${target}' is not a registry address (host[:port])`);
  }
  return { url: url.origin, loginServer: url.host };
}

/**
 * The API client for a command: the registry named (or the last one logged in), with Basic
 * credentials from -u/-p or WHARF_USERNAME/WHARF_PASSWORD when given, else the stored refresh token.
 */
export function openSession(opts: SessionOptions): ApiClient {
  const stored = findRegistry(readCliConfig(), opts.registry);
  let url: string;
  let loginServer: string;
  if (stored) {
    ({ url, loginServer } = stored);
  } else if (opts.registry !== undefined && /[.:]/.test(opts.registry)) {
    ({ url, loginServer } = parseServer(opts.registry));
  } else {
    throw new CliError('usage', opts.registry === undefined
      ? "no registry selected: run 'wharf login <host:port>' first, or name one with -n/-r"
      : `not logged in to a registry named '${opts.registry}': run 'wharf login <host:port>', or name it by its login server`);
  }
  const caFile = opts.caFile === undefined ? stored?.caFile : resolve(opts.caFile);
  return new ApiClient({ url, caFile }, loginServer, credentialsFor(opts, stored?.refreshToken, stored?.username, loginServer));
}

function credentialsFor(opts: SessionOptions, refreshToken: string | undefined, storedUser: string | undefined, loginServer: string): ApiCredentials {
  const username = opts.username ?? (process.env.WHARF_USERNAME || undefined);
  const password = opts.password ?? (process.env.WHARF_PASSWORD || undefined);
  if (username !== undefined) {
    if (password === undefined) throw new CliError('usage', 'a user name needs a password: -p/--password or WHARF_PASSWORD');
    return { scheme: 'basic', username, password };
  }
  if (password !== undefined) throw new CliError('usage', 'a password needs a user name: -u/--username or WHARF_USERNAME');
  if (refreshToken !== undefined) return { scheme: 'bearer', token: refreshToken };
  if (storedUser !== undefined) {
    throw new CliError('auth', `logged in to ${loginServer} as '${storedUser}' (the admin account or a scoped token), which only pulls and pushes; log in as a user or service principal for this command`);
  }
  throw new CliError('auth', `no credentials for ${loginServer}: run 'wharf login ${loginServer}' or pass -u/-p`);
}
