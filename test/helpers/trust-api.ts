// HTTP helpers for the Notary v1 trust API (shared/specs/notary-trust-api.md 3), plus the switch
// that points the suites at Debian's reference notary-server: WHARF_TRUST_IT=reference.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { after, before, describe } from 'node:test';
import type { RequestInit, Response } from 'undici';
import { forEachBackend } from './backends.ts';
import { freePort } from './net.ts';
import { mustRun } from './run.ts';
import { launchServer } from './server-process.ts';
import { tmpDir } from './tmp.ts';
import {
  BASE_ROLES,
  generateKey,
  generateRootKey,
  multipartBody,
  publicKeyFromJson,
  rootSigned,
  signFile,
  snapshotSigned,
  targetsSigned,
  type Part,
  type PublicKey,
  type RootSpec,
  type SigningKey,
  type TufFile,
} from './tuf.ts';

/** True when the suites run against the reference notary-server instead of Wharf. */
export const IS_REFERENCE = process.env['WHARF_TRUST_IT'] === 'reference';

/** What the trust suites need of a server (a WharfInstance satisfies it). */
export interface TrustServer {
  /** e.g. https://127.0.0.1:40123 */
  readonly url: string;
  /** host:port as clients name it: the first component of every GUN. */
  readonly host: string;
  fetch(path: string, init?: RequestInit): Promise<Response>;
  output(): string;
  stop(): Promise<void>;
}

export interface TrustContext {
  readonly backend: string;
  readonly server: TrustServer;
}

/** Seeds the content trust policy `enabled` (its default, disabled, serves no trust API). */
export const TRUST_ENABLED_ENV = { WHARF_TRUST__POLICY: 'enabled' } as const;

/**
 * Declares the suite once per metadata backend against Wharf (content trust enabled), or once against the reference
 * notary-server when WHARF_TRUST_IT=reference. Tests share the server, so each uses its own GUN.
 */
export function forEachTrustBackend(name: string, body: (ctx: TrustContext) => void): void {
  if (!IS_REFERENCE) {
    forEachBackend(name, (ctx) => body({ backend: ctx.backend, get server() { return ctx.registry; } }), { env: TRUST_ENABLED_ENV });
    return;
  }
  describe(`${name} [reference]`, () => {
    let server: TrustServer | undefined;
    before(async () => {
      server = await startReferenceServer();
    });
    after(async () => {
      await server?.stop();
    });
    body({
      backend: 'reference',
      get server(): TrustServer {
        if (!server) throw new Error('notary-server is not running');
        return server;
      },
    });
  });
}

/**
 * Starts Debian's notary-server 0.7 (memory storage, local signer, TLS from an openssl certificate),
 * restricted to GUNs under its own host:port like Wharf (`repositories.gun_prefixes`, spec 1.2).
 */
export async function startReferenceServer(): Promise<TrustServer> {
  const dir = await tmpDir('notary-ref-');
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const cert = join(dir.path, 'cert.pem');
  const key = join(dir.path, 'key.pem');
  await mustRun('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', key, '-out', cert, '-days', '30', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1']);
  const config = join(dir.path, 'server.json');
  writeFileSync(config, JSON.stringify({
    server: { http_addr: host, tls_cert_file: cert, tls_key_file: key },
    trust_service: { type: 'local', key_algorithm: 'ecdsa' },
    storage: { backend: 'memory' },
    logging: { level: 'info' },
    repositories: { gun_prefixes: [`${host}/`] },
  }));
  const url = `https://${host}`;
  const server = await launchServer({
    name: 'notary-server',
    command: '/usr/bin/notary-server',
    args: ['-config', config],
    dir,
    origin: url,
    caPem: readFileSync(cert, 'utf8'),
    healthPath: '/_notary_server/health',
  });
  return { url, host, fetch: server.fetch, output: server.output, stop: server.stop };
}

// ---------------------------------------------------------------------------------------------
// Endpoints

/** A GUN on this server, unique to the calling test: `<host:port>/it/<prefix>/r<hex>`. */
export function uniqueGun(server: TrustServer, prefix: string): string {
  return `${server.host}/it/${prefix}/r${randomBytes(5).toString('hex')}`;
}

export function tufPath(gun: string, rest = ''): string {
  return `/v2/${gun}/_trust/tuf/${rest}`;
}

/** POST publish (E6) of files and/or raw parts; every TufFile becomes a part named after its role. */
export function publish(server: TrustServer, gun: string, items: readonly (TufFile | Part)[], boundary?: string): Promise<Response> {
  const parts = items.map((i): Part => ('role' in i ? { filename: i.role, body: i.bytes } : i));
  const { body, contentType } = multipartBody(parts, boundary);
  return server.fetch(tufPath(gun), { method: 'POST', headers: { 'content-type': contentType }, body });
}

/** Publishes and asserts 200 with an empty body (E6). */
export async function publishOk(server: TrustServer, gun: string, items: readonly (TufFile | Part)[]): Promise<void> {
  const res = await publish(server, gun, items);
  const text = await res.text();
  assert.equal(res.status, 200, `publish to ${gun} failed: ${res.status} ${text.slice(0, 500)}`);
  assert.equal(text, '', 'a successful publish has an empty body');
}

/** GET current metadata by role name (E3). */
export function getRole(server: TrustServer, gun: string, role: string): Promise<Response> {
  return server.fetch(tufPath(gun, `${role}.json`));
}

/** GET metadata by checksum (E4). */
export function getByChecksum(server: TrustServer, gun: string, role: string, hex: string): Promise<Response> {
  return server.fetch(tufPath(gun, `${role}.${hex}.json`));
}

/** GET metadata by version (E5). */
export function getByVersion(server: TrustServer, gun: string, role: string, version: number | string): Promise<Response> {
  return server.fetch(tufPath(gun, `${version}.${role}.json`));
}

/** Reads a 200 response's exact bytes, failing with the body otherwise. */
export async function bytesOf(res: Response): Promise<Buffer> {
  const bytes = Buffer.from(await res.arrayBuffer());
  assert.equal(res.status, 200, `expected 200, got ${res.status}: ${bytes.toString('utf8').slice(0, 500)}`);
  return bytes;
}

/** GET current metadata and return its bytes (asserting 200). */
export async function currentBytes(server: TrustServer, gun: string, role: string): Promise<Buffer> {
  return bytesOf(await getRole(server, gun, role));
}

/** GET `<role>.key` (E7), asserting 200; the parsed public key. */
export async function getServerKey(server: TrustServer, gun: string, role: 'timestamp' | 'snapshot'): Promise<PublicKey> {
  const res = await server.fetch(tufPath(gun, `${role}.key`));
  return publicKeyFromJson(JSON.parse((await bytesOf(res)).toString('utf8')));
}

/** POST `<role>.key` (E8, rotate) with an empty body, asserting 200; the new public key. */
export async function rotateServerKey(server: TrustServer, gun: string, role: 'timestamp' | 'snapshot'): Promise<PublicKey> {
  const res = await server.fetch(tufPath(gun, `${role}.key`), { method: 'POST', headers: { 'content-length': '0' } });
  return publicKeyFromJson(JSON.parse((await bytesOf(res)).toString('utf8')));
}

/** DELETE the GUN's trust data (E9). */
export function deleteTrust(server: TrustServer, gun: string): Promise<Response> {
  return server.fetch(tufPath(gun), { method: 'DELETE' });
}

export interface ChangeRecord {
  ID: string;
  CreatedAt: string;
  GUN: string;
  Version: number;
  SHA256: string;
  Category: 'update' | 'deletion';
}

/** GET the changefeed of one GUN (E10) or of all (E11, gun undefined) with the raw query parameters. */
export function changefeed(server: TrustServer, gun: string | undefined, query: Record<string, string>): Promise<Response> {
  const qs = new URLSearchParams(query).toString();
  const base = gun === undefined ? '/v2/_trust/changefeed' : `/v2/${gun}/_trust/changefeed`;
  return server.fetch(qs ? `${base}?${qs}` : base);
}

// ---------------------------------------------------------------------------------------------
// Errors and state

export interface ErrorBody {
  code: string;
  message: string;
  detail?: unknown;
}

/** The first (only) error of a Notary error body, asserting status, code and (when given) the 2.3 detail. */
export async function expectTrustError(
  res: Response,
  status: number,
  code: string,
  expected: { name?: string; msg?: string | RegExp; detail?: unknown } = {},
): Promise<ErrorBody> {
  const text = await res.text();
  assert.equal(res.status, status, `expected ${status} ${code}, got ${res.status}: ${text.slice(0, 600)}`);
  let parsed: { errors?: ErrorBody[] };
  try {
    parsed = JSON.parse(text) as { errors?: ErrorBody[] };
  } catch {
    return assert.fail(`error body is not JSON: ${text.slice(0, 300)}`);
  }
  assert.ok(Array.isArray(parsed.errors) && parsed.errors.length === 1, `expected exactly one error: ${text.slice(0, 600)}`);
  const err = parsed.errors[0]!;
  assert.equal(err.code, code, `wrong code: ${text.slice(0, 600)}`);
  assert.ok(Buffer.byteLength(text) < 1024, 'error bodies stay under 1 KiB (the client reads only that much, 2.1)');
  if (expected.detail !== undefined) assert.deepEqual(err.detail, expected.detail);
  if (expected.name !== undefined || expected.msg !== undefined) {
    const detail = err.detail as { Name?: unknown; Error?: { Msg?: unknown } } | undefined;
    assert.equal(typeof detail?.Name, 'string', `INVALID_UPDATE detail without Name: ${text.slice(0, 600)}`);
    if (expected.name !== undefined) assert.equal(detail!.Name, expected.name, `detail: ${JSON.stringify(detail)}`);
    const msg = detail!.Error?.Msg;
    if (typeof expected.msg === 'string') assert.equal(msg, expected.msg, `detail: ${JSON.stringify(detail)}`);
    else if (expected.msg) assert.match(String(msg), expected.msg, `detail: ${JSON.stringify(detail)}`);
  }
  return err;
}

/** What GET by name answers for each role: `status:<hex of body>` (body only for 200s). */
export type TrustState = Record<string, string>;

/** Fetches the current root/targets/snapshot/timestamp (and `extra` roles) for a before/after comparison. */
export async function captureState(server: TrustServer, gun: string, extra: readonly string[] = []): Promise<TrustState> {
  const state: TrustState = {};
  for (const role of [...BASE_ROLES, ...extra]) {
    const res = await getRole(server, gun, role);
    const body = Buffer.from(await res.arrayBuffer());
    state[role] = res.status === 200 ? `200:${body.toString('hex')}` : String(res.status);
  }
  return state;
}

/** Asserts the stored trust data is byte-for-byte what `before` captured (a rejected publish wrote nothing). */
export async function assertUnchanged(server: TrustServer, gun: string, before: TrustState): Promise<void> {
  const now = await captureState(server, gun, Object.keys(before).filter((r) => !(BASE_ROLES as readonly string[]).includes(r)));
  for (const role of Object.keys(before)) {
    assert.ok(now[role] === before[role], `${role} changed after a rejected request (before ${before[role]!.slice(0, 12)}…, now ${now[role]!.slice(0, 12)}…)`);
  }
}

// ---------------------------------------------------------------------------------------------
// A repository the test owns: its keys and the files it last published

export interface TrustRepo {
  server: TrustServer;
  gun: string;
  rootKeys: SigningKey[];
  targetsKey: SigningKey;
  /** Client-held snapshot key (notary style); undefined when the server manages the snapshot. */
  snapshotKey?: SigningKey;
  /** Public keys the server returned from GET <role>.key. */
  serverTimestampKey: PublicKey;
  serverSnapshotKey?: PublicKey;
  root: TufFile;
  targets: TufFile;
  snapshot?: TufFile;
}

/** The RootSpec of a repo's current keys at `version` (tests override parts). */
export function rootSpecOf(repo: Omit<TrustRepo, 'root' | 'targets'>, version: number): RootSpec {
  const snapshot = repo.snapshotKey ?? repo.serverSnapshotKey;
  if (!snapshot) throw new Error('repo without a snapshot key');
  return {
    version,
    root: { keys: repo.rootKeys },
    targets: { keys: [repo.targetsKey] },
    snapshot: { keys: [snapshot] },
    timestamp: { keys: [repo.serverTimestampKey] },
  };
}

export interface InitOptions {
  /** notary style: the client holds the snapshot key and uploads a snapshot (default: docker style). */
  clientSnapshot?: boolean;
  /** Publish nothing: only make keys and files (for tests of the first publish itself). */
  dryRun?: boolean;
  targets?: TufFile['signed'];
  targetsKey?: SigningKey;
}

/**
 * Initialises a repo the way the clients do (spec 13): GET timestamp.key (and snapshot.key for
 * docker), then POST root v1 + targets v2 (+ snapshot v2 for notary style, signed by the client).
 */
export async function initRepo(server: TrustServer, gun: string, opts: InitOptions = {}): Promise<TrustRepo> {
  const serverTimestampKey = await getServerKey(server, gun, 'timestamp');
  const serverSnapshotKey = opts.clientSnapshot ? undefined : await getServerKey(server, gun, 'snapshot');
  const base = {
    server,
    gun,
    rootKeys: [await generateRootKey({ cn: gun })],
    targetsKey: opts.targetsKey ?? generateKey('ecdsa'),
    snapshotKey: opts.clientSnapshot ? generateKey('ecdsa') : undefined,
    serverTimestampKey,
    serverSnapshotKey,
  };
  const root = signFile('root', rootSigned(rootSpecOf(base, 1)), base.rootKeys);
  const targets = signFile('targets', opts.targets ?? targetsSigned({ version: 2 }), [base.targetsKey]);
  const repo: TrustRepo = { ...base, root, targets };
  if (base.snapshotKey) repo.snapshot = signFile('snapshot', snapshotSigned({ version: 2, files: [root, targets] }), [base.snapshotKey]);
  if (!opts.dryRun) await publishOk(server, gun, repo.snapshot ? [root, targets, repo.snapshot] : [root, targets]);
  return repo;
}

/** The repo's next targets, signed by its targets key. */
export function nextTargets(repo: TrustRepo, spec: Omit<Parameters<typeof targetsSigned>[0], 'version'> = {}, version = repo.targets.version + 1): TufFile {
  return signFile('targets', targetsSigned({ ...spec, version }), [repo.targetsKey]);
}

/** A client snapshot listing the repo's root and targets plus `files` (notary style). */
export function nextClientSnapshot(repo: TrustRepo, files: readonly TufFile[], version?: number): TufFile {
  if (!repo.snapshotKey) throw new Error('repo has a server-managed snapshot');
  const byRole = new Map<string, TufFile>([['root', repo.root], ['targets', repo.targets]]);
  for (const f of files) byRole.set(f.role, f);
  return signFile('snapshot', snapshotSigned({ version: version ?? (repo.snapshot?.version ?? 1) + 1, files: [...byRole.values()] }), [repo.snapshotKey]);
}
