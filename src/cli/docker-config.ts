import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CliError } from './cli-error.ts';

/** The user name docker sends with a refresh token (spec 1.5); Wharf reads the password as one. */
export const NULL_GUID = '00000000-0000-0000-0000-000000000000';

/** What docker keeps for one registry: a user name and password, or an identity (refresh) token. */
export type DockerCredential =
  | { readonly kind: 'identityToken'; readonly token: string }
  | { readonly kind: 'basic'; readonly username: string; readonly password: string };

interface DockerConfigFile {
  auths?: Record<string, Record<string, unknown>>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
  [key: string]: unknown;
}

/** `$DOCKER_CONFIG/config.json`, default `~/.docker/config.json` (what the docker CLI reads). */
function dockerConfigDir(): string {
  return process.env.DOCKER_CONFIG || join(homedir(), '.docker');
}

/**
 * Stores a credential for `server` the way `docker login` would: through the credential helper
 * docker is configured with for it, else in `auths` of config.json. An identity token is stored
 * as docker stores the refresh token a token server hands it (null-GUID `auth`, `identitytoken`),
 * so that dockerd asks for access tokens with `grant_type=refresh_token`; every other key of the
 * file is kept as it was.
 */
export function storeDockerCredential(server: string, credential: DockerCredential): void {
  const config = readDockerConfig();
  const helper = helperFor(config, server);
  if (helper !== undefined) {
    const [username, secret] = credential.kind === 'identityToken' ? ['<token>', credential.token] : [credential.username, credential.password];
    runHelper(helper, 'store', JSON.stringify({ ServerURL: server, Username: username, Secret: secret }));
    config.auths = { ...config.auths, [server]: {} };
  } else if (credential.kind === 'identityToken') {
    config.auths = { ...config.auths, [server]: { auth: base64(`${NULL_GUID}:`), identitytoken: credential.token } };
  } else {
    config.auths = { ...config.auths, [server]: { auth: base64(`${credential.username}:${credential.password}`) } };
  }
  writeDockerConfig(config);
}

/** Forgets `server` in docker's config (and its credential helper); a no-op when docker had none. */
export function removeDockerCredential(server: string): void {
  const config = readDockerConfig();
  const helper = helperFor(config, server);
  if (helper !== undefined) runHelper(helper, 'erase', server, true);
  if (config.auths?.[server] === undefined) return;
  delete config.auths[server];
  writeDockerConfig(config);
}

function helperFor(config: DockerConfigFile, server: string): string | undefined {
  return config.credHelpers?.[server] ?? (config.credsStore || undefined);
}

function runHelper(helper: string, verb: 'store' | 'erase', input: string, tolerateMissing = false): void {
  const program = `docker-credential-${helper}`;
  const result = spawnSync(program, [verb], { input, encoding: 'utf8', timeout: 30_000 });
  if (result.error) throw new CliError('usage', `docker is configured to keep credentials with ${program}, which could not run: ${result.error.message}`);
  if (result.status !== 0 && !(tolerateMissing && /not found/i.test(result.stdout + result.stderr))) {
    throw new CliError('usage', `${program} ${verb} failed: ${(result.stderr || result.stdout).trim().split('\n')[0]}`);
  }
}

function readDockerConfig(): DockerConfigFile {
  const file = join(dockerConfigDir(), 'config.json');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new CliError('usage', `cannot read docker's ${file}: ${(err as Error).message}`);
  }
  try {
    return text.trim() === '' ? {} : (JSON.parse(text) as DockerConfigFile);
  } catch {
    throw new CliError('usage', `docker's ${file} is not valid JSON; left untouched`);
  }
}

/** Written whole and renamed, 0600 as docker writes it (it may hold passwords). */
function writeDockerConfig(config: DockerConfigFile): void {
  const dir = dockerConfigDir();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const partial = join(dir, `.config.json.wharf-${process.pid}.tmp`);
  writeFileSync(partial, `${JSON.stringify(config, null, '\t')}\n`, { mode: 0o600 });
  renameSync(partial, join(dir, 'config.json'));
}

function base64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}
