// The client side of the trust figures: what docker sends to publish, built with the independent TUF
// toolkit of the trust tests (test/helpers/tuf.ts), never with src/trust/.
import { randomBytes } from 'node:crypto';
import { call, IntegrityError } from './http.ts';
import type { BenchServer } from './servers.ts';
import {
  countValidSignatures, generateKey, generateRootKey, hashB64, multipartBody, parseEnvelope, publicKeyFromJson,
  rootSigned, signFile, targetsSigned, type JsonObject, type PublicKey, type SigningKey, type TufFile,
} from '../test/helpers/tuf.ts';

/** One trust collection (GUN) the bench owns: its client keys and the files it last published. */
export interface Collection {
  readonly gun: string;
  readonly rootKey: SigningKey;
  readonly targetsKey: SigningKey;
  /** Target entries in the current targets file, by name. */
  readonly targets: Record<string, JsonObject>;
  /** Set by initPublish. */
  root?: TufFile;
  published?: TufFile;
  serverKeys?: { snapshot: PublicKey; timestamp: PublicKey };
}

/** The GUN prefix a server accepts: its own host:port (Wharf requires it; notary-server takes any GUN). */
export function gunPrefix(server: BenchServer): string {
  return new URL(server.url).host;
}

export const tufPath = (gun: string, rest = '') => `/v2/${gun}/_trust/tuf/${rest}`;

/** Keys and root certificates (CN = GUN) for `count` new collections: the part docker does offline. */
export async function prepareCollections(server: BenchServer, name: string, count: number): Promise<Collection[]> {
  const prefix = `${gunPrefix(server)}/bench/trust-${name}-${randomBytes(3).toString('hex')}`;
  return Promise.all(Array.from({ length: count }, async (_, i) => {
    const gun = `${prefix}/r${i}`;
    return { gun, rootKey: await generateRootKey({ cn: gun }), targetsKey: generateKey('ecdsa'), targets: { latest: imageTarget() } };
  }));
}

/** A target entry as a DCT push writes it: the manifest digest (sha256 only) and its length. */
function imageTarget(): JsonObject {
  return { hashes: { sha256: hashB64('sha256', randomBytes(64)) }, length: 400 + Math.floor(Math.random() * 1000) };
}

async function getServerKey(server: BenchServer, gun: string, role: 'snapshot' | 'timestamp'): Promise<PublicKey> {
  const res = await call(server, tufPath(gun, `${role}.key`), { step: `GET ${role}.key` });
  return publicKeyFromJson(JSON.parse(res.body.toString('utf8')));
}

async function post(server: BenchServer, gun: string, files: readonly TufFile[], step: string): Promise<void> {
  const { body, contentType } = multipartBody(files.map((f) => ({ filename: f.role, body: f.bytes })));
  await call(server, tufPath(gun), { method: 'POST', headers: { 'content-type': contentType }, body, step });
}

/**
 * docker's first publish of a new repository (spec 13): GET snapshot.key and timestamp.key, then root v1
 * (listing the server's keys, signed by the root certificate key) and targets v2 in one POST; the
 * server makes snapshot and timestamp.
 */
export async function initPublish(server: BenchServer, c: Collection): Promise<void> {
  const snapshot = await getServerKey(server, c.gun, 'snapshot');
  const timestamp = await getServerKey(server, c.gun, 'timestamp');
  const root = signFile('root', rootSigned({
    version: 1, root: { keys: [c.rootKey] }, targets: { keys: [c.targetsKey] }, snapshot: { keys: [snapshot] }, timestamp: { keys: [timestamp] },
  }), [c.rootKey]);
  const targets = signFile('targets', targetsSigned({ version: 2, targets: c.targets }), [c.targetsKey]);
  await post(server, c.gun, [root, targets], 'init publish (POST root+targets)');
  Object.assign(c, { root, published: targets, serverKeys: { snapshot, timestamp } });
}

/** Adds one target: targets version+1 re-signed by the client, POSTed alone; the server makes snapshot and timestamp. */
export async function addTarget(server: BenchServer, c: Collection): Promise<void> {
  if (!c.published) throw new Error(`${c.gun} was never published`);
  const name = `v${c.published.version}`;
  const next = signFile('targets', targetsSigned({ version: c.published.version + 1, targets: { ...c.targets, [name]: imageTarget() } }), [c.targetsKey]);
  await post(server, c.gun, [next], 'add target (POST targets)');
  c.targets[name] = (next.signed['targets'] as JsonObject)[name] as JsonObject;
  c.published = next;
}

/** What a single GET of each read figure must return, checked before wrk runs. */
export interface ReadCheck {
  role: 'timestamp' | 'snapshot' | 'targets';
  path: string;
  bytes: Buffer;
}

/**
 * GETs timestamp.json, snapshot.json and targets.json by name twice each and checks them as a client
 * would: 200; targets are the exact bytes published; snapshot lists root and targets by those bytes'
 * hashes and length; timestamp lists the snapshot served; both signed by the server's keys; and
 * the second GET returns the same bytes (reads do not re-sign). Throws IntegrityError otherwise.
 */
export async function checkReads(server: BenchServer, c: Collection): Promise<ReadCheck[]> {
  if (!c.published || !c.root || !c.serverKeys) throw new Error(`${c.gun} was never published`);
  const out: ReadCheck[] = [];
  for (const role of ['timestamp', 'snapshot', 'targets'] as const) {
    const path = tufPath(c.gun, `${role}.json`);
    const first = await call(server, path, { step: `GET ${role}.json` });
    const again = await call(server, path, { step: `GET ${role}.json` });
    if (!first.body.equals(again.body)) throw new IntegrityError(`${server.role}: two GETs of ${path} returned different bytes`);
    out.push({ role, path, bytes: first.body });
  }
  const [timestamp, snapshot, targets] = out.map((r) => r.bytes) as [Buffer, Buffer, Buffer];
  const fail = (what: string) => new IntegrityError(`${server.role} ${c.gun}: ${what}`);
  if (!targets.equals(c.published.bytes)) throw fail('targets.json is not the published bytes');
  const snapMeta = parseEnvelope(snapshot).signed['meta'] as Record<string, { hashes: { sha256: string }; length: number }>;
  for (const [role, file] of [['root', c.root], ['targets', c.published]] as const) {
    const m = snapMeta[role];
    if (m?.hashes.sha256 !== hashB64('sha256', file.bytes) || m.length !== file.bytes.length) throw fail(`snapshot.json does not list the current ${role}`);
  }
  const tsMeta = (parseEnvelope(timestamp).signed['meta'] as Record<string, { hashes: { sha256: string }; length: number }>)['snapshot'];
  if (tsMeta?.hashes.sha256 !== hashB64('sha256', snapshot) || tsMeta.length !== snapshot.length) throw fail('timestamp.json does not list the snapshot served');
  if (countValidSignatures(snapshot, [c.serverKeys.snapshot]) !== 1) throw fail('snapshot.json is not signed by the server snapshot key');
  if (countValidSignatures(timestamp, [c.serverKeys.timestamp]) !== 1) throw fail('timestamp.json is not signed by the server timestamp key');
  return out;
}
