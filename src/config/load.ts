import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import Value from 'typebox/value';
import { parse as parseYaml } from 'yaml';
import { parseKeyEncryptionKey } from '../trust/key-vault.ts';
import { ConfigSchema, type Config } from './schema.ts';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

export interface LoadOptions {
  /** Settings from command-line flags, already shaped like the schema. */
  flags?: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
  /** Path of the YAML file; default wharf.yaml in the working directory when it exists. */
  file?: string;
}

type Tree = Record<string, unknown>;

/** Merges defaults < wharf.yaml < WHARF_* env < flags, validates, and returns a frozen Config. */
export function loadConfig(opts: LoadOptions = {}): Config {
  const env = opts.env ?? process.env;
  const problems: string[] = [];
  const file = opts.file ?? env.WHARF_CONFIG ?? (existsSync('wharf.yaml') ? 'wharf.yaml' : undefined);
  let merged: Tree = {};
  if (file !== undefined) merged = deepMerge(merged, readYaml(file, problems));
  merged = deepMerge(merged, fromEnv(env));
  merged = deepMerge(merged, opts.flags ?? {});
  const value = Value.Default(ConfigSchema, Value.Convert(ConfigSchema, merged)) as Tree;
  for (const error of Value.Errors(ConfigSchema, value)) {
    if (error.keyword === 'boolean') continue; // reported once more as additionalProperties
    const where = error.instancePath.slice(1).replaceAll('/', '.') || '(top level)';
    const extra =
      error.keyword === 'additionalProperties' || error.keyword === 'enum' ? `: ${JSON.stringify(error.params)}` : '';
    problems.push(`${where}: ${error.message}${extra}`);
  }
  problems.push(...semanticProblems(value as Config));
  if (problems.length > 0) throw new ConfigError(problems);
  const config = value as Config;
  config.data = resolve(config.data);
  return deepFreeze(config);
}

function readYaml(file: string, problems: string[]): Tree {
  try {
    const parsed: unknown = parseYaml(readFileSync(file, 'utf8'));
    if (parsed === null || parsed === undefined) return {};
    if (typeof parsed !== 'object' || Array.isArray(parsed)) {
      problems.push(`${file}: must be a mapping of settings`);
      return {};
    }
    return parsed as Tree;
  } catch (err) {
    problems.push(`${file}: ${(err as Error).message.split('\n')[0]}`);
    return {};
  }
}

/** WHARF_LISTEN -> listen, WHARF_TLS__CERT -> tls.cert, WHARF_LIMITS__MANIFEST_BYTES -> limits.manifestBytes. */
function fromEnv(env: NodeJS.ProcessEnv): Tree {
  const tree: Tree = {};
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith('WHARF_') || value === undefined || name === 'WHARF_CONFIG') continue;
    if (!isSettingEnv(name)) continue;
    const path = name.slice('WHARF_'.length).split('__').map(camelCase);
    let node = tree;
    for (const key of path.slice(0, -1)) node = (node[key] ??= {}) as Tree;
    node[path[path.length - 1]!] = isArraySetting(path) ? value.split(',').map((v) => v.trim()).filter(Boolean) : value;
  }
  return tree;
}

/** Only names of settings the schema knows are read; other WHARF_* variables belong to other tools. */
function isSettingEnv(name: string): boolean {
  const top = camelCase(name.slice('WHARF_'.length).split('__')[0]!);
  return top in ConfigSchema.properties;
}

/** Whether the schema declares the setting at `path` as a list (given in env as comma-separated values). */
function isArraySetting(path: string[]): boolean {
  let node: { type?: unknown; properties?: Record<string, unknown> } | undefined = ConfigSchema;
  for (const key of path) node = node?.properties?.[key] as typeof node;
  return node?.type === 'array';
}

function camelCase(snake: string): string {
  return snake.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function semanticProblems(config: Config): string[] {
  const problems: string[] = [];
  // Runs on values that may have failed the schema too, so that every problem is listed at once.
  if (typeof config.listen === 'string' && !parseListen(config.listen)) problems.push(`listen: expected host:port, got ${JSON.stringify(config.listen)}`);
  const tls = (config.tls ?? {}) as Partial<Config['tls']>;
  if ((tls.cert === undefined) !== (tls.key === undefined)) {
    problems.push('tls: cert and key must be given together');
  }
  for (const path of [tls.cert, tls.key]) {
    if (typeof path === 'string' && !existsSync(path)) problems.push(`tls: file not found: ${path}`);
  }
  if (typeof config.metadata === 'string' && !/^(sqlite(:.+)?|postgres(ql)?:\/\/.+)$/.test(config.metadata)) {
    problems.push(`metadata: expected 'sqlite', 'sqlite:<path>' or a postgres:// URL`);
  }
  problems.push(...trustProblems(config), ...authProblems(config));
  return problems;
}

/** The key-encryption key: one source at most, well formed, and present in production. Never echoes it. */
function trustProblems(config: Config): string[] {
  const problems: string[] = [];
  const trust = (config.trust ?? {}) as Partial<Config['trust']>;
  const { keyEncryptionKey: key, keyEncryptionKeyFile: file } = trust;
  if (key !== undefined && file !== undefined) {
    problems.push('trust: keyEncryptionKey and keyEncryptionKeyFile are mutually exclusive');
  }
  if (typeof key === 'string' && parseKeyEncryptionKey(key) === undefined) {
    problems.push('trust.keyEncryptionKey: expected base64 of 32 bytes (e.g. `openssl rand -base64 32`)');
  }
  if (typeof file === 'string' && !existsSync(file)) problems.push(`trust.keyEncryptionKeyFile: file not found: ${file}`);
  if (config.mode === 'production' && key === undefined && file === undefined) {
    problems.push('trust: production mode needs trust.keyEncryptionKey or trust.keyEncryptionKeyFile (dev mode generates one)');
  }
  return problems;
}

/** The owner password: one source at most, and the file must exist. Never echoes it. */
function authProblems(config: Config): string[] {
  const auth = (config.auth ?? {}) as Partial<Config['auth']>;
  const problems: string[] = [];
  if (auth.ownerPassword !== undefined && auth.ownerPasswordFile !== undefined) {
    problems.push('auth: ownerPassword and ownerPasswordFile are mutually exclusive');
  }
  if (typeof auth.ownerPasswordFile === 'string' && !existsSync(auth.ownerPasswordFile)) {
    problems.push(`auth.ownerPasswordFile: file not found: ${auth.ownerPasswordFile}`);
  }
  return problems;
}

/** The configuration as check-config prints it: the database password, the trust KEK and the owner password replaced by ***. */
export function redactedConfig(config: Config): Config {
  const { keyEncryptionKey } = config.trust;
  const { ownerPassword } = config.auth;
  return {
    ...config,
    metadata: config.metadata.replace(/\/\/[^@/]*@/, '//***@'),
    trust: { ...config.trust, ...(keyEncryptionKey === undefined ? {} : { keyEncryptionKey: '***' }) },
    auth: { ...config.auth, ...(ownerPassword === undefined ? {} : { ownerPassword: '***' }) },
  };
}

export function parseListen(listen: string): { host: string; port: number } | undefined {
  const match = /^(\[[0-9a-fA-F:]+\]|[^:\s]+):(\d{1,5})$/.exec(listen);
  if (!match) return undefined;
  const port = Number(match[2]);
  if (port > 65535) return undefined;
  return { host: match[1]!.replace(/^\[|\]$/g, ''), port };
}

function deepMerge(base: Tree, over: Tree): Tree {
  const out: Tree = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const prev = out[key];
    out[key] = isTree(prev) && isTree(value) ? deepMerge(prev, value) : value;
  }
  return out;
}

function isTree(v: unknown): v is Tree {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function deepFreeze<T>(value: T): T {
  if (isTree(value)) for (const child of Object.values(value)) deepFreeze(child);
  return Object.freeze(value);
}
