import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Agent, fetch as undiciFetch, type RequestInit, type Response } from 'undici';
import { freePort, waitFor } from './net.ts';
import { RegistryLogin, type Credentials } from './registry-login.ts';
import { spawnLogged } from './server-process.ts';
import { tmpDir } from './tmp.ts';

const REPO_ROOT = resolve(import.meta.dirname, '../..');
export const WHARF_BIN = join(REPO_ROOT, 'bin/wharf.mjs');

/** The owner password startWharf configures unless told otherwise. */
export const TEST_OWNER_PASSWORD = 'wharf-test-owner-password';

export interface StartOptions {
  /** 'sqlite' (default) or a postgres:// URL. */
  metadata?: string;
  /** Serve plain HTTP instead of HTTPS (default: HTTPS with the generated certificate). */
  plainHttp?: boolean;
  /** Reuse a data directory (e.g. to restart a killed server); default: a fresh temp dir. */
  dataDir?: string;
  /** Reuse a port (restart); default: a free one. */
  port?: number;
  /**
   * The owner's password on first start (WHARF_AUTH__OWNER_PASSWORD, which `env` or this process's
   * environment may also set); default TEST_OWNER_PASSWORD. `false` configures none, so the server
   * generates one and prints it.
   */
  ownerPassword?: string | false;
  env?: Record<string, string>;
  args?: string[];
}

export interface WharfInstance {
  /** e.g. https://127.0.0.1:40123 */
  url: string;
  /** e.g. 127.0.0.1:40123 — the registry host as docker/skopeo name it. */
  host: string;
  port: number;
  dataDir: string;
  /** PEM of the CA that signed the server certificate (undefined with plainHttp). */
  caPem?: string;
  /** Path of that CA file (undefined with plainHttp). */
  caFile?: string;
  process: ChildProcess;
  /** The owner's login; undefined when the server generated the password (ownerPassword: false). */
  credentials?: Credentials;
  /**
   * fetch against the instance, trusting its CA, logged in as the owner (Bearer tokens, see
   * RegistryLogin) unless `init` carries an Authorization header: fetch('/v2/').
   */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** fetch without credentials. */
  anonymousFetch(path: string, init?: RequestInit): Promise<Response>;
  /** The Authorization header fetch would send for `path` (raw requests); undefined if none is needed. */
  authorization(path: string): Promise<string | undefined>;
  /** What the server printed (stdout and stderr), for diagnostics. */
  output(): string;
  /** SIGTERM, wait for exit; removes the data dir if it was created by startWharf. */
  stop(): Promise<void>;
  /** SIGKILL, wait for exit; keeps the data dir. */
  kill(): Promise<void>;
}

/** Starts a real Wharf process (bin/wharf.mjs serve) on 127.0.0.1 and waits until /healthz answers. */
export async function startWharf(opts: StartOptions = {}): Promise<WharfInstance> {
  const ownData = opts.dataDir === undefined ? await tmpDir('wharf-data-') : undefined;
  const dataDir = opts.dataDir ?? ownData!.path;
  const port = opts.port ?? (await freePort());
  const host = `127.0.0.1:${port}`;
  const args = [WHARF_BIN, 'serve', '--listen', host, '--data', dataDir, '--log-level', 'warn'];
  if (opts.metadata) args.push('--metadata', opts.metadata);
  if (opts.plainHttp) args.push('--no-tls');
  args.push(...(opts.args ?? []));
  const logPath = join(dataDir, `server-${port}-${Date.now()}.log`);
  const password = opts.env?.['WHARF_AUTH__OWNER_PASSWORD'] ?? opts.ownerPassword ?? process.env['WHARF_AUTH__OWNER_PASSWORD'] ?? TEST_OWNER_PASSWORD;
  const env: NodeJS.ProcessEnv = { ...process.env, ...opts.env };
  if (password === false) delete env['WHARF_AUTH__OWNER_PASSWORD'];
  else env['WHARF_AUTH__OWNER_PASSWORD'] = password;
  const { process: child, exited, output } = spawnLogged(process.execPath, args, logPath, env);
  const scheme = opts.plainHttp ? 'http' : 'https';
  const url = `${scheme}://${host}`;

  let agent: Agent | undefined;
  let caPem: string | undefined;
  const caFile = opts.plainHttp ? undefined : join(dataDir, 'tls', 'ca.crt');
  const doFetch = (path: string, init: RequestInit = {}) => {
    if (caFile && !agent) {
      caPem = readFileSync(caFile, 'utf8');
      agent = new Agent({ connect: { ca: caPem } });
    }
    return undiciFetch(url + path, { ...init, dispatcher: agent });
  };
  try {
    await waitFor(`wharf on ${host}`, async () => {
      if (child.exitCode !== null) throw new Error(`wharf exited with ${child.exitCode}:\n${output()}`);
      try {
        const res = await doFetch('/healthz');
        await res.arrayBuffer();
        return res.ok;
      } catch (err) {
        // Not listening yet, or the CA was read before the server wrote it: read it again next time.
        await agent?.close();
        agent = undefined;
        throw err;
      }
    }, 60_000);
  } catch (err) {
    child.kill('SIGKILL');
    await exited;
    const printed = output();
    await ownData?.remove();
    throw new Error(`wharf did not start: ${(err as Error).message}\n${printed}`);
  }
  const credentials = password === false ? undefined : { username: 'owner', password };
  const login = credentials && new RegistryLogin(doFetch, credentials);
  return {
    url,
    host,
    port,
    dataDir,
    caPem,
    caFile,
    process: child,
    ...(credentials && { credentials }),
    fetch: login ? (path, init) => login.fetch(path, init) : doFetch,
    anonymousFetch: doFetch,
    authorization: async (path) => login?.authorization(path),
    output,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      await agent?.close();
      await ownData?.remove();
    },
    async kill() {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
      await agent?.close();
    },
  };
}
