import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CliError } from './cli-error.ts';

/** A registry `wharf login` succeeded against. */
export interface StoredRegistry {
  /** host[:port] as typed and as docker names it; also the token `service`. */
  readonly loginServer: string;
  /** Base URL, `https://<loginServer>` (or http for a registry without TLS). */
  readonly url: string;
  /** The registry name (`wharf show` name), when the management API told it. */
  readonly name?: string;
  /** Extra CA to trust for this registry (absolute path). */
  readonly caFile?: string;
  /** Who logged in: a userPrincipalName, an appId, the admin account or a scoped token. */
  readonly username: string;
  /** Refresh token of a user or service principal; absent for admin and scoped-token logins (data plane only). */
  readonly refreshToken?: string;
  readonly loggedInAt: string;
}

export interface CliConfig {
  /** loginServer of the registry used when a command names none: the last one logged in. */
  current?: string;
  registries: Record<string, StoredRegistry>;
}

/** `$WHARF_CONFIG_DIR`, else `~/.wharf`. */
export function configDir(): string {
  return process.env.WHARF_CONFIG_DIR || join(homedir(), '.wharf');
}

function configFile(): string {
  return join(configDir(), 'config.json');
}

export function readCliConfig(): CliConfig {
  let text: string;
  try {
    text = readFileSync(configFile(), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { registries: {} };
    throw new CliError('usage', `cannot read ${configFile()}: ${(err as Error).message}`);
  }
  try {
    const parsed = JSON.parse(text) as Partial<CliConfig>;
    return { current: parsed.current, registries: parsed.registries ?? {} };
  } catch {
    throw new CliError('usage', `${configFile()} is not valid JSON; fix or remove it and log in again`);
  }
}

/**
 * Replaces the config file atomically. It holds refresh tokens: the directory is 0700 and the
 * file 0600, created so (not chmod-ed afterwards) so that it is never readable by others.
 */
export function writeCliConfig(config: CliConfig): void {
  const dir = configDir();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const partial = join(dir, `.config.json.${process.pid}.tmp`);
  writeFileSync(partial, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  renameSync(partial, configFile());
}

/**
 * The registry a command acts on: `selector` matched against login servers and registry names,
 * else the last one logged in. Undefined when the selector names no stored registry.
 */
export function findRegistry(config: CliConfig, selector: string | undefined): StoredRegistry | undefined {
  if (selector === undefined) return config.current === undefined ? undefined : config.registries[config.current];
  const wanted = selector.toLowerCase();
  const all = Object.values(config.registries);
  const byServer = all.find((r) => r.loginServer.toLowerCase() === wanted);
  if (byServer) return byServer;
  const byName = all.filter((r) => r.name?.toLowerCase() === wanted);
  if (byName.length > 1) {
    throw new CliError('usage', `several logged-in registries are named '${selector}' (${byName.map((r) => r.loginServer).join(', ')}): name one by its login server`);
  }
  return byName[0];
}
