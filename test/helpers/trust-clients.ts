import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dockerLogin } from './e2e-registry.ts';
import { dockerArchive, randomLayer } from './images.ts';
import type { Credentials } from './registry-login.ts';
import { describeFailure, requireTools, run, type RunOptions, type RunResult } from './run.ts';
import { tmpDir } from './tmp.ts';
import { trustUrlFor, type TrustTarget } from './trust-target.ts';

/**
 * The docker CLI with content trust: Docker 28's static CLI. Debian's docker.io CLI (/usr/bin/docker,
 * 20.10) is older; DCT is still in 28, so the tests pin that one (override: WHARF_E2E_DOCKER_CLI).
 */
export const DOCKER_CLI = process.env['WHARF_E2E_DOCKER_CLI'] ?? '/usr/local/bin/docker';
export const MIN_DOCKER_CLI_MAJOR = 28;

/** Passphrases the tests use; never prompts (every client gets them through env). */
export const PASSPHRASES = {
  root: 'e2e-root-passphrase',
  repository: 'e2e-repository-passphrase',
  targets: 'e2e-targets-passphrase',
  snapshot: 'e2e-snapshot-passphrase',
  delegation: 'e2e-delegation-passphrase',
} as const;

/** process.env without anything that would change how docker or notary pick servers, keys or trust. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of Object.keys(env)) {
    if (name.startsWith('DOCKER_CONTENT_TRUST') || name.startsWith('NOTARY_') || name === 'DOCKER_CONFIG') delete env[name];
  }
  return env;
}

export interface CliRunner {
  /** Runs the CLI; never rejects for a non-zero exit (check `code`). */
  run(args: readonly string[], opts?: Omit<RunOptions, 'env'>): Promise<RunResult>;
  /** Runs the CLI and throws with its full output (plus `context()`) unless it exits 0. */
  must(args: readonly string[], opts?: Omit<RunOptions, 'env'>): Promise<RunResult>;
}

function runner(cmd: string, env: () => NodeJS.ProcessEnv, context: () => string): CliRunner {
  const go = (args: readonly string[], opts: Omit<RunOptions, 'env'> = {}) => run(cmd, args, { timeoutMs: 120_000, ...opts, env: env() });
  return {
    run: go,
    async must(args, opts) {
      const res = await go(args, opts);
      if (res.code !== 0) throw new Error(`${describeFailure(cmd, args, res)}\n${context()}`);
      return res;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// notary CLI 0.7

export interface NotaryCli extends CliRunner {
  /** Trust dir (-d): private/ keys and tuf/<gun>/ caches. */
  trustDir: string;
  configFile: string;
  env: NodeJS.ProcessEnv;
  remove(): Promise<void>;
}

export interface NotaryCliOptions {
  /** The trust server: trustUrlFor(target). */
  serverUrl: string;
  caPem: string;
  /** The trust server's login (target.credentials): NOTARY_AUTH; none for an open server. */
  credentials?: Credentials;
  /** Appended to failure messages (e.g. the server logs). */
  context?: () => string;
}

/**
 * A notary CLI with its own trust dir and config file (trust_dir, remote_server.url, root_ca) and
 * every passphrase in env (NOTARY_{ROOT,TARGETS,SNAPSHOT,DELEGATION}_PASSPHRASE), plus the login
 * in NOTARY_AUTH (base64 of `user:password`, which notary 0.7 sends as Basic to the token realm
 * when the server answers 401). Each call runs `notary -c <config> -d <trust dir> …`. `remove()`
 * deletes it all.
 */
export async function notaryCli(opts: NotaryCliOptions): Promise<NotaryCli> {
  requireTools('notary');
  const base = await tmpDir('wharf-notary-cli-');
  const trustDir = join(base.path, 'trust');
  const configFile = join(base.path, 'config.json');
  const caFile = join(base.path, 'ca.crt');
  await mkdir(trustDir, { mode: 0o700 });
  await writeFile(caFile, opts.caPem);
  await writeFile(configFile, JSON.stringify({ trust_dir: trustDir, remote_server: { url: opts.serverUrl, root_ca: caFile } }));
  const env: NodeJS.ProcessEnv = {
    ...cleanEnv(),
    NOTARY_ROOT_PASSPHRASE: PASSPHRASES.root,
    NOTARY_TARGETS_PASSPHRASE: PASSPHRASES.targets,
    NOTARY_SNAPSHOT_PASSPHRASE: PASSPHRASES.snapshot,
    NOTARY_DELEGATION_PASSPHRASE: PASSPHRASES.delegation,
  };
  if (opts.credentials !== undefined) {
    env['NOTARY_AUTH'] = Buffer.from(`${opts.credentials.username}:${opts.credentials.password}`).toString('base64');
  }
  const r = runner('notary', () => env, opts.context ?? (() => ''));
  return {
    trustDir,
    configFile,
    env,
    run: (args, o) => r.run(['-c', configFile, '-d', trustDir, ...args], o),
    must: (args, o) => r.must(['-c', configFile, '-d', trustDir, ...args], o),
    remove: base.remove,
  };
}

// ---------------------------------------------------------------------------------------------
// docker CLI with DOCKER_CONTENT_TRUST=1

export interface DockerTrustClient extends CliRunner {
  /** DOCKER_CONFIG: config.json, tls/<trust host>/ca.crt, trust/. */
  configDir: string;
  /** DOCKER_CONFIG/trust: private/ keys and tuf/<gun>/ caches. */
  trustDir: string;
  env: NodeJS.ProcessEnv;
  remove(): Promise<void>;
}

export interface DockerTrustOptions {
  target: TrustTarget;
  /** The registry host as written in image references (e.g. localhost:<port>); default registryHost. */
  registryAlias?: string;
  /** unix:///… of the dockerd to use (trusted push/pull and local images need one). */
  dockerHost?: string;
  /** Set DOCKER_CONTENT_TRUST_{ROOT,REPOSITORY}_PASSPHRASE (default true); false makes the CLI prompt on stdin. */
  passphrases?: boolean;
  /** Start from this existing DOCKER_CONFIG (e.g. restored keys) instead of a new, empty one. */
  configDir?: string;
  context?: () => string;
}

/**
 * The docker 28 CLI with content trust on, in its own DOCKER_CONFIG. The trust server's CA goes to
 * `<DOCKER_CONFIG>/tls/<trust host:port>/ca.crt`, where docker's notary client looks for it
 * (the daemon needs /etc/docker/certs.d separately: trustRegistryCa). Against a separate trust
 * server (reference mode) DOCKER_CONTENT_TRUST_SERVER names it; against Wharf nothing does.
 * A new DOCKER_CONFIG is logged in to the registry alias with target.credentials (`docker login`
 * through the daemon): the daemon pushes and pulls, and the CLI's notary client reads trust data,
 * with that login.
 */
export async function dockerTrustClient(opts: DockerTrustOptions): Promise<DockerTrustClient> {
  requireTools(DOCKER_CLI);
  const own = opts.configDir === undefined ? await tmpDir('wharf-docker-cfg-') : undefined;
  const configDir = opts.configDir ?? own!.path;
  const alias = opts.registryAlias ?? opts.target.registryHost;
  const trustHost = new URL(trustUrlFor(opts.target, alias)).host;
  await mkdir(join(configDir, 'tls', trustHost), { recursive: true });
  await writeFile(join(configDir, 'tls', trustHost, 'ca.crt'), opts.target.caPem);
  if (own) await writeFile(join(configDir, 'config.json'), '{}');
  const env: NodeJS.ProcessEnv = { ...cleanEnv(), DOCKER_CONFIG: configDir, DOCKER_CONTENT_TRUST: '1' };
  if (opts.dockerHost !== undefined) env['DOCKER_HOST'] = opts.dockerHost;
  if (opts.target.trustServerUrl !== undefined) env['DOCKER_CONTENT_TRUST_SERVER'] = opts.target.trustServerUrl;
  if (opts.passphrases ?? true) {
    env['DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE'] = PASSPHRASES.root;
    env['DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE'] = PASSPHRASES.repository;
  }
  const r = runner(DOCKER_CLI, () => env, opts.context ?? (() => ''));
  if (own) await dockerLogin(r.run, alias, opts.target.credentials).catch(async (err: unknown) => {
    await own.remove();
    throw err;
  });
  return { configDir, trustDir: join(configDir, 'trust'), env, ...r, remove: own?.remove ?? (async () => undefined) };
}

/** Fails loudly unless DOCKER_CLI is at least MIN_DOCKER_CLI_MAJOR (content trust as the spec observed it). */
export async function requireDockerCli(): Promise<string> {
  requireTools(DOCKER_CLI);
  const res = await run(DOCKER_CLI, ['version', '--format', '{{.Client.Version}}'], { env: { ...cleanEnv(), DOCKER_HOST: 'unix:///nonexistent' } });
  const version = res.stdout.trim();
  const major = Number(version.split('.')[0]);
  if (!(major >= MIN_DOCKER_CLI_MAJOR)) {
    throw new Error(`${DOCKER_CLI} is docker CLI "${version}"; the trust e2e tests need >= ${MIN_DOCKER_CLI_MAJOR} (static docker CLI from download.docker.com, or set WHARF_E2E_DOCKER_CLI)`);
  }
  return version;
}

// ---------------------------------------------------------------------------------------------
// Key files and caches (spec section 12)

export interface KeyFile {
  /** File name without .key: the canonical key ID. */
  id: string;
  /** PEM header `role:` (root, targets, snapshot, a signer name or targets/<x>). */
  role: string;
  /** PEM header `gun:` (targets and snapshot keys only). */
  gun?: string;
  isEncrypted: boolean;
}

/** The private keys in `<trustDir>/private`, with their PEM headers; [] when there are none. */
export async function keyFiles(trustDir: string): Promise<KeyFile[]> {
  const dir = join(trustDir, 'private');
  const names = await readdir(dir).catch(() => [] as string[]);
  const keys: KeyFile[] = [];
  for (const name of names.filter((n) => n.endsWith('.key')).sort()) {
    const pem = await readFile(join(dir, name), 'utf8');
    const header = (h: string) => new RegExp(`^${h}: (.+)$`, 'm').exec(pem)?.[1]?.trim();
    keys.push({ id: name.slice(0, -4), role: header('role') ?? '', gun: header('gun'), isEncrypted: pem.includes('ENCRYPTED PRIVATE KEY') });
  }
  return keys;
}

/** `<trustDir>/tuf/<gun>/metadata/<role>.json`: the client's cache of the server's metadata. */
export function cachedMetadataPath(trustDir: string, gun: string, role: string): string {
  return join(trustDir, 'tuf', ...gun.split('/'), 'metadata', `${role}.json`);
}

/**
 * Backs up the private keys as the docker docs say (`umask 077; tar -zcf … trust/private`) and
 * restores them into `intoConfigDir` (a fresh DOCKER_CONFIG), returning the archive path.
 */
export async function backupAndRestoreKeys(fromConfigDir: string, archive: string, intoConfigDir: string): Promise<void> {
  const sh = async (script: string, ...args: string[]) => {
    const res = await run('sh', ['-c', script, 'sh', ...args]);
    if (res.code !== 0) throw new Error(describeFailure('sh', ['-c', script, ...args], res));
  };
  await sh('umask 077; tar -zcf "$1" -C "$2" trust/private', archive, fromConfigDir);
  await sh('umask 077; tar -zxf "$1" -C "$2"', archive, intoConfigDir);
}

// ---------------------------------------------------------------------------------------------
// Images

/**
 * Loads a new, unique one-layer image into the client's daemon as `ref` (docker load of a
 * hand-made archive: no base image, no network) and returns its image ID.
 */
export async function loadUniqueImage(client: CliRunner, workDir: string, ref: string): Promise<string> {
  const archive = dockerArchive([randomLayer(1, 32 * 1024)], ref);
  const path = join(workDir, `image-${archive.imageId.slice(7, 19)}.tar`);
  await writeFile(path, archive.tar);
  await client.must(['load', '-i', path]);
  return archive.imageId;
}

/** The digest from docker push's result line: `<tag>: digest: sha256:… size: N`. */
export function pushedDigest(stdout: string, tag: string): string | undefined {
  return new RegExp(`^${tag}: digest: (sha256:[0-9a-f]{64}) size: \\d+$`, 'm').exec(stdout)?.[1];
}
