import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Agent } from 'undici';
import { freePort } from '../test/helpers/net.ts';
import { launchServer } from '../test/helpers/server-process.ts';
import { tmpDir } from '../test/helpers/tmp.ts';
import { startWharf } from '../test/helpers/wharf.ts';
import type { Credentials } from './auth.ts';

const REFERENCE_BIN = '/usr/bin/docker-registry';

/** Which column a server fills in the report. */
export type ServerRole = 'wharf' | 'reference';

/** A registry under test, reachable over HTTPS on 127.0.0.1 with a CA we trust. */
export interface BenchServer {
  readonly role: ServerRole;
  /** Human label, e.g. "wharf" or "distribution 2.8.2". */
  readonly label: string;
  /** e.g. https://127.0.0.1:40123 */
  readonly url: string;
  readonly caPem: string;
  readonly pid: number;
  /** Keep-alive dispatcher trusting `caPem`; shared by every bench step on this server. */
  readonly dispatcher: Agent;
  /** Headers every /v2 request carries (e.g. a bearer token); empty when the server needs none. */
  auth: Record<string, string>;
  /** A login the bench may use (the owner of a Wharf it started); undefined for the reference servers. */
  readonly credentials?: Credentials;
  /** Peak resident set size so far (VmHWM), in KiB. */
  peakRssKiB(): number;
  /** What the process printed, for diagnostics. */
  output(): string;
  /** SIGTERM by PID, wait for exit, remove the data dir. */
  stop(): Promise<void>;
}

/** A dispatcher for `server` with its own connection pool (e.g. a fixed number of keep-alive sockets). */
export function agentFor(server: BenchServer, connections?: number): Agent {
  return new Agent({ connect: { ca: server.caPem }, connections, keepAliveTimeout: 30_000 });
}

/** Reads VmHWM (peak RSS, KiB) of a live process. */
export function peakRssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
  if (!match?.[1]) throw new Error(`no VmHWM in /proc/${pid}/status`);
  return Number(match[1]);
}

/** The owner of every Wharf the bench starts; the bench logs in as it when auth is on. */
const BENCH_OWNER: Credentials = { username: 'owner', password: 'wharf-bench-owner-password' };

/**
 * Starts Wharf (bin/wharf.mjs serve, HTTPS, SQLite metadata unless `opts.metadata` names PostgreSQL,
 * filesystem blobs, --log-level warn) with BENCH_OWNER as its owner. `role` is the report column it fills.
 */
export async function startWharfServer(
  opts: { metadata?: string; env?: Record<string, string>; role?: ServerRole; label?: string } = {},
): Promise<BenchServer> {
  const wharf = await startWharf({
    ...(opts.metadata === undefined ? {} : { metadata: opts.metadata }),
    env: { WHARF_AUTH__OWNER_PASSWORD: BENCH_OWNER.password, ...opts.env },
  });
  const pid = wharf.process.pid;
  if (pid === undefined || wharf.caPem === undefined) throw new Error('wharf started without a pid or a CA');
  const caPem = wharf.caPem;
  const dispatcher = new Agent({ connect: { ca: caPem }, keepAliveTimeout: 30_000 });
  return {
    role: opts.role ?? 'wharf',
    label: opts.label ?? 'wharf',
    url: wharf.url,
    caPem,
    pid,
    dispatcher,
    auth: {},
    credentials: BENCH_OWNER,
    peakRssKiB: () => peakRssOf(pid),
    output: () => wharf.output(),
    async stop() {
      await dispatcher.close();
      await wharf.stop();
    },
  };
}

/** Starts Debian's docker-registry (CNCF distribution 2.8) over TLS with a fresh self-signed certificate. */
export async function startReferenceServer(role: ServerRole = 'reference'): Promise<BenchServer> {
  const dir = await tmpDir('wharf-bench-ref-');
  const port = await freePort();
  const tls = await selfSignedCert(join(dir.path, 'tls'));
  const configPath = join(dir.path, 'config.yml');
  await writeFile(configPath, referenceConfig(port, join(dir.path, 'storage'), tls));
  return launchReference({
    role,
    label: referenceVersion,
    name: 'docker-registry',
    command: REFERENCE_BIN,
    args: ['serve', configPath],
    dir,
    port,
    tls,
    healthPath: '/v2/',
  });
}

/**
 * A reference server process, its configuration already written, as a BenchServer: started and
 * awaited with the tests' launchServer (which removes `dir` when it stops), stopped by PID.
 */
export async function launchReference(opts: {
  role: ServerRole;
  label: () => Promise<string>;
  name: string;
  command: string;
  args: readonly string[];
  dir: { path: string; remove(): Promise<void> };
  port: number;
  tls: TlsFiles;
  healthPath: string;
}): Promise<BenchServer> {
  const caPem = readFileSync(opts.tls.cert, 'utf8');
  const url = `https://127.0.0.1:${opts.port}`;
  const server = await launchServer({ ...opts, origin: url, caPem });
  const pid = server.process.pid!;
  const dispatcher = new Agent({ connect: { ca: caPem }, keepAliveTimeout: 30_000 });
  return {
    role: opts.role,
    label: await opts.label(),
    url,
    caPem,
    pid,
    dispatcher,
    auth: {},
    peakRssKiB: () => peakRssOf(pid),
    output: server.output,
    async stop() {
      await dispatcher.close();
      await server.stop();
    },
  };
}

/** e.g. "github.com/docker/distribution 2.8.2+ds1", from `docker-registry --version`. */
async function referenceVersion(): Promise<string> {
  const { stdout } = await promisify(execFile)(REFERENCE_BIN, ['--version']);
  return stdout.replace(/^\S+\s+/, '').trim();
}

export interface TlsFiles {
  cert: string;
  key: string;
}

/** A P-256 self-signed certificate for 127.0.0.1, made with openssl; it is its own CA. */
export async function selfSignedCert(dir: string): Promise<TlsFiles> {
  await mkdir(dir, { recursive: true });
  const files = { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') };
  await promisify(execFile)('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', files.key, '-out', files.cert, '-days', '2', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1',
  ]);
  return files;
}

/** Reference settings: filesystem storage, errors-only log, no access log, TLS, no auth. */
function referenceConfig(port: number, rootDir: string, tls: TlsFiles): string {
  return [
    'version: 0.1',
    'log:',
    '  level: error',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  cache:',
    '    blobdescriptor: inmemory',
    '  filesystem:',
    `    rootdirectory: ${rootDir}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    `  secret: ${randomBytes(16).toString('hex')}`,
    '  tls:',
    `    certificate: ${tls.cert}`,
    `    key: ${tls.key}`,
    '',
  ].join('\n');
}
