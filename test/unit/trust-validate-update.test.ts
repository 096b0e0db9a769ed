import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, sign as cryptoSign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { WharfError } from '../../src/errors/wharf-error.ts';
import type { Gun, ServerRole, TufRole } from '../../src/trust/types.ts';
import { validateUpdate, type UpdateInput } from '../../src/trust/validate-update.ts';
import { FUTURE, GUN, NOW, keyWire, makeKey, makeRootKey, sign, unsignable, type TestKey } from './trust-fixtures.ts';

// ---- fixtures ---------------------------------------------------------------------------------

type Wire = Record<string, unknown>;
const b64 = (alg: string, bytes: Buffer) => createHash(alg).update(bytes).digest('base64');
const meta = (bytes: Buffer) => ({ hashes: { sha256: b64('sha256', bytes), sha512: b64('sha512', bytes) }, length: bytes.length });

interface Repo {
  root: TestKey;
  targets: TestKey;
  snapshot: TestKey;
  timestamp: TestKey;
  delegate: TestKey;
  stored: Map<string, Buffer>;
  held: Set<string>;
}

async function newRepo(): Promise<Repo> {
  const repo = { root: await makeRootKey(), targets: makeKey(), snapshot: makeKey(), timestamp: makeKey(), delegate: makeKey(), stored: new Map(), held: new Set<string>() };
  repo.held.add(repo.snapshot.id).add(repo.timestamp.id);
  return repo;
}

function rootWire(repo: Repo, over: Wire = {}, rootKeys: TestKey[] = [repo.root]): Wire {
  const keys: Wire = {};
  for (const k of [...rootKeys, repo.targets, repo.snapshot, repo.timestamp]) keys[k.id] = keyWire(k);
  const role = (k: TestKey) => ({ keyids: [k.id], threshold: 1 });
  return {
    _type: 'Root', consistent_snapshot: false, expires: FUTURE, keys,
    roles: { root: { keyids: rootKeys.map((k) => k.id), threshold: 1 }, targets: role(repo.targets), snapshot: role(repo.snapshot), timestamp: role(repo.timestamp) },
    version: 1, ...over,
  };
}

function targetsWire(over: Wire = {}, delegations: { keys: TestKey[]; roles: Wire[] } = { keys: [], roles: [] }): Wire {
  const keys: Wire = {};
  for (const k of delegations.keys) keys[k.id] = keyWire(k);
  return { _type: 'Targets', delegations: { keys, roles: delegations.roles }, expires: FUTURE, targets: {}, version: 2, ...over };
}

const declare = (name: string, key: TestKey, paths: string[] | null = [''], threshold = 1): Wire =>
  ({ keyids: [key.id], name, ...(paths ? { paths } : {}), threshold });

const target = (bytes = Buffer.from('payload')) => meta(bytes);

function snapshotWire(files: Record<string, Buffer>, over: Wire = {}): Wire {
  const m: Wire = {};
  for (const [role, bytes] of Object.entries(files)) m[role] = meta(bytes);
  return { _type: 'Snapshot', expires: FUTURE, meta: m, version: 2, ...over };
}

function input(repo: Repo, parts: Record<string, Buffer>, now = NOW, gun = GUN): UpdateInput {
  return {
    gun: gun as Gun,
    parts: new Map(Object.entries(parts)),
    now,
    stored: async (role: TufRole) => repo.stored.get(role),
    serverHeldKeyIds: async (_role: ServerRole, ids: readonly string[]) => ids.filter((id) => repo.held.has(id)),
  };
}

/** A repository with root v1 and targets v2 stored (server-managed snapshot). */
async function initialized(): Promise<Repo> {
  const repo = await newRepo();
  const root = sign(rootWire(repo), repo.root);
  const targets = sign(targetsWire({}, { keys: [repo.delegate], roles: [declare('targets/releases', repo.delegate, ['v'])] }), repo.targets);
  const result = await validateUpdate(input(repo, { root, targets }));
  for (const doc of result.docs) repo.stored.set(doc.role, doc.bytes);
  repo.stored.set('snapshot', sign(snapshotWire({ root, targets }, { version: 1 }), repo.snapshot));
  return repo;
}

async function rejects(promise: Promise<unknown>, code: string, name?: string, msg?: string | RegExp, detail?: unknown): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof WharfError, String(err));
    assert.equal(err.code, code);
    if (detail !== undefined) assert.deepEqual(err.detail, detail);
    if (name !== undefined) {
      const d = err.detail as { Name: string; Error: { Msg: string } };
      assert.equal(d.Name, name);
      if (typeof msg === 'string') assert.equal(d.Error.Msg, msg);
      else if (msg) assert.match(d.Error.Msg, msg);
    }
    return true;
  });
}
const IU = 'INVALID_UPDATE';

// ---- the real vectors -------------------------------------------------------------------------

const vector = (name: string) => readFileSync(new URL(`../vectors/notary/${name}`, import.meta.url));
const VECTOR_GUN = 'registry.example.com/demo/hello';
const VECTOR_NOW = new Date('2026-11-29T00:00:00Z');
const V = { snapshot: 'cb2d5d3142dde3cbb721208e55a1ea2dc5cd575ffc2aafc96c00dadcb6e68eaf', timestamp: '7c9cd2c41f90871e88ad814f93243d45e09bf4a569efd25e0ea87774272619a4' };

function vectorInput(parts: Record<string, Buffer>, stored: Record<string, Buffer> = {}): UpdateInput {
  return {
    gun: VECTOR_GUN as Gun,
    parts: new Map(Object.entries(parts)),
    now: VECTOR_NOW,
    stored: async (role) => stored[role],
    serverHeldKeyIds: async (_role, ids) => ids.filter((id) => id === V.snapshot || id === V.timestamp),
  };
}

describe('validateUpdate with the real notary vectors', () => {
  it('files hash to the README table', () => {
    const table: Record<string, [number, string]> = {
      'root.json': [2415, '5942e74c3e4a0c6c104b8f25360a30f3ffd7df6e843fa97de61feabd4b9e99cd'],
      'targets.json': [720, '07d4027d70b7491c9c8a563e458f7434b97d8d45ac4a7d52ecc39d0bb9537b9e'],
      'targets/releases.json': [529, '618fe0ef23057fc9b15003197bc077c660d28ebdcc170dc8615bd9bca75fccf8'],
      'snapshot.json': [884, '4ef7b11a8c2296ec1d90acf1ba097f442766f9d65c7eda0b9ca96c702dea657d'],
      'timestamp.json': [495, '6e2cffa623b7c866d57f8cad544729ee06c7aa25371cf403bcd18f9e069ad82d'],
      'target-v1.0-payload.json': [127, 'e04951beac8418917f21a3fe43f8de178377d4aa3ca579c437a32411ef3bb2b3'],
    };
    for (const [name, [size, hex]] of Object.entries(table)) {
      const bytes = vector(name);
      assert.equal(bytes.length, size, name);
      assert.equal(createHash('sha256').update(bytes).digest('hex'), hex, name);
    }
  });
  it('accepts root + targets + targets/releases + snapshot as one coherent first publish (timestamp dropped)', async () => {
    const parts = { 'root.json': vector('root.json'), targets: vector('targets.json'), 'targets/releases': vector('targets/releases.json'), snapshot: vector('snapshot.json'), timestamp: vector('timestamp.json') };
    const result = await validateUpdate(vectorInput(parts));
    assert.deepEqual(result.docs.map((d) => [d.role, d.version]), [['root', 2], ['targets', 3], ['targets/releases', 1], ['snapshot', 5]]);
    assert.ok(result.docs.every((d) => d.bytes === parts[d.role === 'root' ? 'root.json' : (d.role as keyof typeof parts)]));
    assert.equal(result.snapshotKeyIds, undefined);
    assert.deepEqual(result.timestampKeyIds, [V.timestamp]);
    assert.equal(result.root.version, 2);
  });
  it('accepts the notary CLI delegation publish (multipart part targets/releases) over stored root and targets', async () => {
    const body = vector('publish-targets-releases.multipart').toString('latin1');
    const part = Buffer.from(body.split('\r\n\r\n')[1]!.split('\r\n--')[0]!, 'latin1');
    assert.deepEqual(part, vector('targets/releases.json'));
    const stored = { root: vector('root.json'), targets: vector('targets.json'), snapshot: vector('snapshot.json') };
    const result = await validateUpdate(vectorInput({ 'targets/releases': part }, stored));
    assert.deepEqual(result.docs.map((d) => d.role), ['targets/releases']);
    assert.deepEqual(result.snapshotKeyIds, [V.snapshot]);
  });
  it('rejects the vector root for another GUN (CN mismatch)', async () => {
    await rejects(validateUpdate({ ...vectorInput({ root: vector('root.json'), targets: vector('targets.json') }), gun: 'registry.example.com/demo/other' as Gun }),
      IU, 'ErrBadRoot', 'could not validate the path to a trusted root: unable to retrieve valid leaf certificates');
  });
  it('hashes exact bytes: a pretty-printed targets verifies but no longer matches the snapshot (6.4, Q2)', async () => {
    const stored = { root: vector('root.json'), 'targets/releases': vector('targets/releases.json') };
    const pretty = Buffer.from(JSON.stringify(JSON.parse(vector('targets.json').toString()), null, 2));
    await rejects(validateUpdate(vectorInput({ targets: pretty, snapshot: vector('snapshot.json') }, stored)),
      IU, 'ErrBadSnapshot', 'sha256 checksum for targets did not match: expected 07d4027d70b7491c9c8a563e458f7434b97d8d45ac4a7d52ecc39d0bb9537b9e');
    await validateUpdate(vectorInput({ targets: vector('targets.json'), snapshot: vector('snapshot.json') }, stored));
  });
});

// ---- step 0: parts ----------------------------------------------------------------------------

describe('validateUpdate step 0: filenames and JSON (6.1, 14.1–14.10)', () => {
  it('refuses invalid role names with INVALID_ROLE and the role as detail', async () => {
    const repo = await initialized();
    for (const [filename, role] of [['foo', 'foo'], ['foo.json', 'foo'], ['targets/Foo', 'targets/Foo'], ['targets/a/../b', 'targets/a/../b'], ['targets/', 'targets/'], ['targets/v1.0', 'targets/v1.0'], ['targets//a', 'targets//a'], ['Root', 'Root']]) {
      await rejects(validateUpdate(input(repo, { [filename!]: Buffer.from('{}') })), 'INVALID_ROLE', undefined, undefined, role);
    }
  });
  it('refuses an empty role name with NO_FILENAME and duplicates with MALFORMED_UPLOAD', async () => {
    const repo = await initialized();
    await rejects(validateUpdate(input(repo, { '.json': Buffer.from('{}') })), 'NO_FILENAME');
    const t = sign(targetsWire({ version: 3 }), repo.targets);
    await rejects(validateUpdate(input(repo, { targets: t, 'targets.json': t })), 'MALFORMED_UPLOAD');
  });
  it('refuses unparseable parts and wrong field types with MALFORMED_JSON', async () => {
    const repo = await initialized();
    const good = targetsWire({ version: 3 });
    const raw = (signed: Wire) => Buffer.from(JSON.stringify({ signed, signatures: [] }));
    const cases: Record<string, Buffer> = {
      'not JSON': Buffer.from('not json'),
      'trailing garbage': Buffer.concat([sign(good, repo.targets), Buffer.from('x')]),
      'array': Buffer.from('[]'),
      'no signed': Buffer.from('{"signatures":[]}'),
      'version string': raw({ ...good, version: '6' }),
      'version 6.0': Buffer.from(raw(good).toString().replace('"version":3', '"version":6.0')),
      'version 6e0': Buffer.from(raw(good).toString().replace('"version":3', '"version":6e0')),
      'expires date only': raw({ ...good, expires: '2030-01-01' }),
      'expires number': raw({ ...good, expires: 5 }),
      'expires Feb 30': raw({ ...good, expires: '2030-02-30T00:00:00Z' }),
      'signatures object': Buffer.from(JSON.stringify({ signed: good, signatures: {} })),
      'sig not base64': Buffer.from(JSON.stringify({ signed: good, signatures: [{ keyid: 'a', method: 'ecdsa', sig: 'not base64!' }] })),
      'duplicate key': Buffer.from(raw(good).toString().replace('"version":3', '"version":3,"version":4')),
      'threshold string': raw({ ...good, delegations: { keys: {}, roles: [{ name: 'targets/x', keyids: [], threshold: '1' }] } }),
      'targets array': raw({ ...good, targets: [] }),
      'length float': raw({ ...good, targets: { a: { hashes: {}, length: 1.5 } } }),
      'hash not base64': raw({ ...good, targets: { a: { hashes: { sha256: '%%' }, length: 1 } } }),
    };
    for (const [label, bytes] of Object.entries(cases)) {
      await rejects(validateUpdate(input(repo, { targets: bytes })), 'MALFORMED_JSON').catch((e: unknown) => assert.fail(`${label}: ${String(e)}`));
    }
    await rejects(validateUpdate(input(repo, { timestamp: Buffer.from('{') })), 'MALFORMED_JSON');
  });
  it('accepts an expires with a local offset and nanoseconds (11.2)', async () => {
    const repo = await initialized();
    await validateUpdate(input(repo, { targets: sign(targetsWire({ version: 3, expires: '2030-01-01T02:00:00.123456789+02:00' }), repo.targets) }));
  });
});

// ---- step 1: root -----------------------------------------------------------------------------

describe('validateUpdate step 1: root (6.3, 14.21–14.32)', () => {
  it('accepts a first publish of root v1 and targets and asks for a server snapshot', async () => {
    const repo = await newRepo();
    const root = sign(rootWire(repo), repo.root);
    const targets = sign(targetsWire(), repo.targets);
    const result = await validateUpdate(input(repo, { root, targets }));
    assert.deepEqual(result.docs, [{ role: 'root', version: 1, bytes: root }, { role: 'targets', version: 2, bytes: targets }]);
    assert.deepEqual(result.snapshotKeyIds, [repo.snapshot.id]);
    assert.deepEqual(result.timestampKeyIds, [repo.timestamp.id]);
    assert.equal(result.root.roles.get('targets')?.keyIds[0], repo.targets.id);
  });
  it('accepts a first root at v2 but not v3 (14.23)', async () => {
    const repo = await newRepo();
    const targets = sign(targetsWire(), repo.targets);
    await validateUpdate(input(repo, { root: sign(rootWire(repo, { version: 2 }), repo.root), targets }));
    await rejects(validateUpdate(input(repo, { root: sign(rootWire(repo, { version: 3 }), repo.root), targets })),
      IU, 'ErrBadRoot', 'Root modifications must increment the version. Current 1, new 3');
  });
  it('refuses a version jump over a stored root (14.22)', async () => {
    const repo = await initialized();
    await rejects(validateUpdate(input(repo, { root: sign(rootWire(repo, { version: 3 }), repo.root) })),
      IU, 'ErrBadRoot', 'Root modifications must increment the version. Current 1, new 3');
  });
  it('passes a same-version root to storage, which answers VERSION (14.24)', async () => {
    const repo = await initialized();
    const result = await validateUpdate(input(repo, { root: sign(rootWire(repo, { expires: '2031-01-01T00:00:00Z' }), repo.root) }));
    assert.equal(result.docs[0]?.version, 1);
  });
  it('refuses no root at all with ErrValidation (14.21)', async () => {
    const repo = await newRepo();
    await rejects(validateUpdate(input(repo, { targets: sign(targetsWire(), repo.targets) })),
      IU, 'ErrValidation', 'no pre-existing root and no root provided in update.');
    await rejects(validateUpdate(input(repo, {})), IU, 'ErrValidation', 'no pre-existing root and no root provided in update.');
  });
  it('refuses a root-only first publish: targets must be loaded first (14.32)', async () => {
    const repo = await newRepo();
    await rejects(validateUpdate(input(repo, { root: sign(rootWire(repo), repo.root) })), IU, 'ErrValidation', 'targets must be loaded first');
  });
  it('checks the structure (14.27, 14.28, type, threshold)', async () => {
    const repo = await newRepo();
    const targets = sign(targetsWire(), repo.targets);
    const base = rootWire(repo);
    const roles = base.roles as Record<string, Wire>;
    const cases: [Wire, string][] = [
      [{ _type: 'Targets' }, 'root type metadata invalid: expected type Root, not Targets'],
      [{ roles: { ...roles, timestamp: undefined } }, 'root type metadata invalid: missing timestamp role specification'],
      [{ roles: { ...roles, targets: { keyids: [repo.targets.id], threshold: 0 } } }, 'root type metadata invalid: invalid threshold specified for targets: 0 '],
      [{ roles: { ...roles, targets: { keyids: ['ab'.repeat(32)], threshold: 1 } } }, `root type metadata invalid: key ID ${'ab'.repeat(32)} specified in targets without corresponding key`],
      [{ keys: { ...(base.keys as Wire), ['cd'.repeat(32)]: keyWire(makeKey()) } }, 'key ID is not valid for key content'],
    ];
    for (const [over, msg] of cases) {
      await rejects(validateUpdate(input(repo, { root: sign({ ...base, ...over }, repo.root), targets })), IU, 'ErrBadRoot', msg);
    }
  });
  it('refuses roots without a valid leaf certificate for the GUN (14.29)', async () => {
    const repo = await newRepo();
    const targets = sign(targetsWire(), repo.targets);
    const msg = 'could not validate the path to a trusted root: unable to retrieve valid leaf certificates';
    const plain = makeKey();
    const badKeys = [plain, await makeRootKey({ cn: 'registry.example.com/demo/other' }), await makeRootKey({ notBefore: new Date('2020-01-01'), notAfter: new Date('2021-01-01') }), await makeRootKey({ hash: 'SHA-1' })];
    for (const key of badKeys) {
      await rejects(validateUpdate(input(repo, { root: sign(rootWire(repo, {}, [key]), key), targets })), IU, 'ErrBadRoot', msg);
    }
  });
  it('refuses a root whose threshold its own keys cannot meet, or without signatures (14.26)', async () => {
    const repo = await newRepo();
    const targets = sign(targetsWire(), repo.targets);
    const base = rootWire(repo);
    const roles = { ...(base.roles as Wire), root: { keyids: [repo.root.id], threshold: 2 } };
    const msg = 'could not validate the path to a trusted root: failed to validate integrity of roots';
    await rejects(validateUpdate(input(repo, { root: sign({ ...base, roles }, repo.root), targets })), IU, 'ErrBadRoot', msg);
    await rejects(validateUpdate(input(repo, { root: sign(base), targets })), IU, 'ErrBadRoot', msg);
    await rejects(validateUpdate(input(repo, { root: sign(base, repo.targets), targets })), IU, 'ErrBadRoot', msg);
  });
  it('rotates the root only when signed by the old and the new root keys (14.25)', async () => {
    const repo = await initialized();
    const next = await makeRootKey();
    const rotated = rootWire(repo, { version: 2 }, [next]);
    await rejects(validateUpdate(input(repo, { root: sign(rotated, next) })),
      IU, 'ErrBadRoot', 'could not rotate trust to a new trusted root: failed to validate data with current trusted certificates');
    await rejects(validateUpdate(input(repo, { root: sign(rotated, repo.root) })),
      IU, 'ErrBadRoot', 'could not validate the path to a trusted root: failed to validate integrity of roots');
    const result = await validateUpdate(input(repo, { root: sign(rotated, repo.root, next) }));
    assert.deepEqual(result.root.roles.get('root')?.keyIds, [next.id]);
  });
  it('still accepts a rotation when the old root certificate has expired', async () => {
    const repo = await newRepo();
    repo.root = await makeRootKey({ notBefore: new Date('2020-01-01'), notAfter: new Date('2026-01-01') });
    repo.stored.set('root', sign(rootWire(repo), repo.root));
    repo.stored.set('snapshot', Buffer.from('{}'));
    const next = await makeRootKey();
    await validateUpdate(input(repo, { root: sign(rootWire(repo, { version: 2 }, [next]), repo.root, next) }));
  });
  it('refuses an expired root (14.30)', async () => {
    const repo = await newRepo();
    await rejects(validateUpdate(input(repo, { root: sign(rootWire(repo, { expires: '2020-01-01T00:00:00Z' }), repo.root), targets: sign(targetsWire(), repo.targets) })),
      IU, 'ErrBadRoot', 'root expired at Wed Jan 1 00:00:00 UTC 2020');
  });
  it('refuses a root with a non-integer number anywhere in signed', async () => {
    const repo = await newRepo();
    await rejects(validateUpdate(input(repo, { root: unsignable(rootWire(repo, { custom: { n: 1.5 } }), repo.root) })), IU, 'ErrBadRoot', 'json: unsupported value: 1.5');
  });
  it('refuses a root whose timestamp key the server does not hold (14.31)', async () => {
    const repo = await newRepo();
    repo.held.delete(repo.timestamp.id);
    await rejects(validateUpdate(input(repo, { root: sign(rootWire(repo), repo.root), targets: sign(targetsWire(), repo.targets) })),
      IU, 'ErrBadRoot', 'no  timestamp keys exist on the server');
  });
});

// ---- step 2: targets and delegations ----------------------------------------------------------

describe('validateUpdate step 2: targets and delegations (6.3, 14.11–14.20, 14.33–14.43)', () => {
  const threshold = 'valid signatures did not meet threshold for targets';
  it('accepts targets signed by the targets key, with the method in upper case', async () => {
    const repo = await initialized();
    await validateUpdate(input(repo, { targets: sign(targetsWire({ version: 3, targets: { v1: target() } }), repo.targets) }));
    const bytes = sign(targetsWire({ version: 3 }), repo.targets).toString().replace('"method":"ecdsa"', '"method":"ECDSA"');
    await validateUpdate(input(repo, { targets: Buffer.from(bytes) }));
  });
  it('verifies over the canonical form, so a pretty-printed upload verifies (6.4)', async () => {
    const repo = await initialized();
    const bytes = sign(targetsWire({ version: 3 }), repo.targets);
    const pretty = Buffer.from(JSON.stringify(JSON.parse(bytes.toString()), null, 2));
    const result = await validateUpdate(input(repo, { targets: pretty }));
    assert.equal(result.docs[0]?.bytes, pretty);
  });
  it('refuses targets signed by a key not in root, or with a tampered body (14.11, 14.15)', async () => {
    const repo = await initialized();
    await rejects(validateUpdate(input(repo, { targets: sign(targetsWire({ version: 3 }), makeKey()) })), IU, 'ErrBadTargets', threshold);
    const tampered = Buffer.from(sign(targetsWire({ version: 3 }), repo.targets).toString().replace('"version":3', '"version":4'));
    await rejects(validateUpdate(input(repo, { targets: tampered })), IU, 'ErrBadTargets', threshold);
  });
  it('refuses targets without signatures (14.12)', async () => {
    const repo = await initialized();
    await rejects(validateUpdate(input(repo, { targets: sign(targetsWire({ version: 3 })) })), IU, 'ErrBadTargets', 'tuf: data has no signatures');
  });
  it('refuses DER ECDSA, unknown methods, non-canonical and UTF-16-ordered signatures (14.13–14.18)', async () => {
    const repo = await initialized();
    const signed = targetsWire({ version: 3, targets: { '\u{1F600}': target(), '\uFF5E': target() } });
    const envelope = (sig: Buffer, method = 'ecdsa') => Buffer.from(JSON.stringify({ signed, signatures: [{ keyid: repo.targets.id, method, sig: sig.toString('base64') }] }));
    const canonical = Buffer.from(sign(signed, repo.targets).toString().slice('{"signed":'.length).split(',"signatures":')[0]!);
    const p1363 = (msg: Buffer) => cryptoSign('sha256', msg, { key: repo.targets.privateKey, dsaEncoding: 'ieee-p1363' });
    await validateUpdate(input(repo, { targets: envelope(p1363(canonical)) }));
    await rejects(validateUpdate(input(repo, { targets: envelope(cryptoSign('sha256', canonical, repo.targets.privateKey)) })), IU, 'ErrBadTargets', threshold);
    await rejects(validateUpdate(input(repo, { targets: envelope(p1363(canonical), 'ecdsa-der') })), IU, 'ErrBadTargets', threshold);
    await rejects(validateUpdate(input(repo, { targets: envelope(p1363(Buffer.from(JSON.stringify(signed)))) })), IU, 'ErrBadTargets', threshold);
    const utf16 = Buffer.from(canonical.toString().replace(/"\uFF5E":(\{[^}]*\}[^}]*\}),"\u{1F600}":(\{[^}]*\}[^}]*\})/u, '"\u{1F600}":$2,"\uFF5E":$1'));
    assert.notDeepEqual(utf16, canonical);
    await rejects(validateUpdate(input(repo, { targets: envelope(p1363(utf16)) })), IU, 'ErrBadTargets', threshold);
  });
  it('refuses the wrong _type and version 0 (14.35, 14.36)', async () => {
    const repo = await initialized();
    await rejects(validateUpdate(input(repo, { targets: sign(targetsWire({ _type: 'Root' }), repo.targets) })),
      IU, 'ErrBadTargets', 'targets type metadata invalid: expected type Targets, not Root');
    await rejects(validateUpdate(input(repo, { targets: sign(targetsWire({ version: 0 }), repo.targets) })),
      IU, 'ErrBadTargets', 'targets type metadata invalid: version cannot be less than one');
  });
  it('refuses expired or expiry-less targets (14.34)', async () => {
    const repo = await initialized();
    await rejects(validateUpdate(input(repo, { targets: sign(targetsWire({ version: 3, expires: '2026-11-01T10:00:00.5Z' }), repo.targets) })),
      IU, 'ErrBadTargets', 'targets expired at Sun Nov 1 10:00:00 UTC 2026');
    await rejects(validateUpdate(input(repo, { targets: sign(targetsWire({ version: 3, expires: undefined }), repo.targets) })),
      IU, 'ErrBadTargets', 'targets expired at Mon Jan 1 00:00:00 UTC 0001');
  });
  it('refuses bad delegation declarations (14.38–14.40, 14.19)', async () => {
    const repo = await initialized();
    const d = repo.delegate;
    const cases: [Wire[], TestKey[], string][] = [
      [[declare('targets/a/b', d)], [d], 'targets type metadata invalid: delegation role targets/a/b invalid'],
      [[declare('targets/A', d)], [d], 'targets type metadata invalid: delegation role targets/A invalid'],
      [[declare('targets/x', d), declare('targets/x', d)], [d], 'targets type metadata invalid: delegation role targets/x invalid'],
      [[declare('targets/x', d, [''], 0)], [d], 'targets type metadata invalid: invalid threshold specified for targets/x: 0 '],
      [[declare('targets/x', d)], [], `targets type metadata invalid: key ID ${d.id} specified in targets/x without corresponding key`],
    ];
    for (const [roles, keys, msg] of cases) {
      await rejects(validateUpdate(input(repo, { targets: sign(targetsWire({ version: 3 }, { keys, roles }), repo.targets) })), IU, 'ErrBadTargets', msg);
    }
    const misfiled = targetsWire({ version: 3 }, { keys: [], roles: [] });
    (misfiled.delegations as { keys: Wire }).keys = { ['ef'.repeat(32)]: keyWire(d) };
    await rejects(validateUpdate(input(repo, { targets: sign(misfiled, repo.targets) })), IU, 'ErrBadTargets', 'key ID is not valid for key content');
  });
  it('accepts keyids null, thresholds above the key count and absent paths in declarations', async () => {
    const repo = await initialized();
    const roles = [{ keyids: null, name: 'targets/a', threshold: 1 }, declare('targets/b', repo.delegate, null, 3)];
    await validateUpdate(input(repo, { targets: sign(targetsWire({ version: 3 }, { keys: [repo.delegate], roles }), repo.targets) }));
  });
  it('refuses control characters and fractions inside signed (14.41, 14.42)', async () => {
    const repo = await initialized();
    await rejects(validateUpdate(input(repo, { targets: unsignable(targetsWire({ version: 3, targets: { 'a\nb': target() } }), repo.targets) })),
      IU, 'ErrBadTargets', 'json: control character U+000A in string "a\\nb"');
    await rejects(validateUpdate(input(repo, { targets: unsignable(targetsWire({ version: 3, targets: { a: { ...target(), custom: { n: 1.5 } } } }), repo.targets) })),
      IU, 'ErrBadTargets', 'json: unsupported value: 1.5');
  });
  it('accepts a delegation declared in stored targets and signed by its key', async () => {
    const repo = await initialized();
    const result = await validateUpdate(input(repo, { 'targets/releases': sign(targetsWire({ version: 1, targets: { v1: target() } }), repo.delegate) }));
    assert.deepEqual(result.docs.map((d) => d.role), ['targets/releases']);
  });
  it('refuses a delegation signed by a key it does not list (14.17)', async () => {
    const repo = await initialized();
    await rejects(validateUpdate(input(repo, { 'targets/releases': sign(targetsWire({ version: 1 }), repo.targets) })),
      IU, 'ErrBadTargets', 'valid signatures did not meet threshold for targets/releases');
  });
  it('refuses undeclared delegations (14.37)', async () => {
    const repo = await initialized();
    await rejects(validateUpdate(input(repo, { 'targets/nope': sign(targetsWire({ version: 1 }), repo.delegate) })),
      IU, 'ErrBadTargets', 'tuf: invalid role targets/nope. delegation does not exist');
    await rejects(validateUpdate(input(repo, { 'targets/releases/sub': sign(targetsWire({ version: 1 }), repo.delegate) })),
      IU, 'ErrBadTargets', 'tuf: invalid role targets/releases/sub. delegation does not exist');
  });
  it('refuses a delegation when no targets exist at all', async () => {
    const repo = await newRepo();
    repo.stored.set('root', sign(rootWire(repo), repo.root));
    await rejects(validateUpdate(input(repo, { 'targets/releases': sign(targetsWire({ version: 1 }), repo.delegate) })),
      IU, 'ErrBadTargets', 'targets must be loaded first');
  });
  it('checks structure of a delegation (its own name in messages)', async () => {
    const repo = await initialized();
    await rejects(validateUpdate(input(repo, { 'targets/releases': sign(targetsWire({ version: 0 }), repo.delegate) })),
      IU, 'ErrBadTargets', 'targets/releases type metadata invalid: version cannot be less than one');
    await rejects(validateUpdate(input(repo, { 'targets/releases': sign(targetsWire({ version: 1, expires: '2020-01-01T00:00:00Z' }), repo.delegate) })),
      IU, 'ErrBadTargets', 'targets/releases expired at Wed Jan 1 00:00:00 UTC 2020');
  });
  it('[R] refuses targets outside the delegated paths (14.43 strict)', async () => {
    const repo = await initialized(); // targets/releases is delegated paths ["v"]
    await validateUpdate(input(repo, { 'targets/releases': sign(targetsWire({ version: 1, targets: { 'v1.0': target() } }), repo.delegate) }));
    await rejects(validateUpdate(input(repo, { 'targets/releases': sign(targetsWire({ version: 1, targets: { latest: target() } }), repo.delegate) })),
      IU, 'ErrBadTargets', 'targets/releases type metadata invalid: target "latest" is outside the paths delegated to targets/releases');
  });
  it('[R] refuses any target of a delegation declared without paths', async () => {
    const repo = await initialized();
    const targets = sign(targetsWire({ version: 3 }, { keys: [repo.delegate], roles: [declare('targets/releases', repo.delegate, null)] }), repo.targets);
    await rejects(validateUpdate(input(repo, { targets, 'targets/releases': sign(targetsWire({ version: 1, targets: { v1: target() } }), repo.delegate) })),
      IU, 'ErrBadTargets', /target "v1" is outside the paths/);
  });
  it('[R] refuses child delegation paths outside the parent paths; accepts nested ones inside', async () => {
    const repo = await initialized();
    const sub = makeKey();
    const releases = (paths: string[]) => sign(targetsWire({ version: 1 }, { keys: [sub], roles: [declare('targets/releases/sub', sub, paths)] }), repo.delegate);
    await rejects(validateUpdate(input(repo, { 'targets/releases': releases(['']) })),
      IU, 'ErrBadTargets', 'targets/releases type metadata invalid: path "" of targets/releases/sub is outside the paths delegated to targets/releases');
    await rejects(validateUpdate(input(repo, { 'targets/releases': releases(['w']) })), IU, 'ErrBadTargets', /path "w"/);
    const result = await validateUpdate(input(repo, {
      'targets/releases': releases(['v2']),
      'targets/releases/sub': sign(targetsWire({ version: 1, targets: { 'v2.1': target() } }), sub),
    }));
    assert.deepEqual(result.docs.map((d) => d.role), ['targets/releases', 'targets/releases/sub']);
    await rejects(validateUpdate(input(repo, {
      'targets/releases': releases(['v2']),
      'targets/releases/sub': sign(targetsWire({ version: 1, targets: { 'v3': target() } }), sub),
    })), IU, 'ErrBadTargets', /target "v3" is outside/);
  });
  it('processes parents first: a new declaration in uploaded targets admits its delegation', async () => {
    const repo = await initialized();
    const alice = makeKey();
    const targets = sign(targetsWire({ version: 3 }, { keys: [alice], roles: [declare('targets/alice', alice)] }), repo.targets);
    const result = await validateUpdate(input(repo, { 'targets/alice': sign(targetsWire({ version: 1, targets: { x: target() } }), alice), targets }));
    assert.deepEqual(result.docs.map((d) => d.role), ['targets', 'targets/alice']);
  });
  it('verifies rsa-pss and ed25519 delegation keys', async () => {
    const repo = await initialized();
    for (const type of ['rsa', 'ed25519'] as const) {
      const key = makeKey(type);
      const targets = sign(targetsWire({ version: 3 }, { keys: [key], roles: [declare('targets/k', key)] }), repo.targets);
      await validateUpdate(input(repo, { targets, 'targets/k': sign(targetsWire({ version: 1 }), key) }));
    }
  });
});

// ---- steps 3 and 4: snapshot and timestamp ----------------------------------------------------

describe('validateUpdate steps 3–4: snapshot and timestamp (6.3, 14.44–14.50)', () => {
  async function clientManaged() {
    const repo = await initialized();
    repo.held.delete(repo.snapshot.id);
    const targets = sign(targetsWire({ version: 3, targets: { v1: target() } }), repo.targets);
    return { repo, targets, root: repo.stored.get('root')! };
  }
  it('accepts a client snapshot listing the exact bytes of root and targets', async () => {
    const { repo, targets, root } = await clientManaged();
    const snapshot = sign(snapshotWire({ root, targets }), repo.snapshot);
    const result = await validateUpdate(input(repo, { targets, snapshot }));
    assert.deepEqual(result.docs.map((d) => d.role), ['targets', 'snapshot']);
    assert.equal(result.snapshotKeyIds, undefined);
  });
  it('refuses mix-and-match: a snapshot listing other targets bytes (14.44)', async () => {
    const { repo, targets, root } = await clientManaged();
    const old = repo.stored.get('targets')!;
    const snapshot = sign(snapshotWire({ root, targets: old }), repo.snapshot);
    await rejects(validateUpdate(input(repo, { targets, snapshot })),
      IU, 'ErrBadSnapshot', `sha256 checksum for targets did not match: expected ${createHash('sha256').update(old).digest('hex')}`);
  });
  it('refuses a snapshot without targets sha256, or with a short digest (14.45)', async () => {
    const { repo, targets, root } = await clientManaged();
    const wire = snapshotWire({ root, targets });
    const m = wire.meta as Record<string, { hashes: Record<string, string> }>;
    const noSha = { ...wire, meta: { ...m, targets: { hashes: { sha512: m.targets!.hashes.sha512 }, length: targets.length } } };
    await rejects(validateUpdate(input(repo, { targets, snapshot: sign(noSha, repo.snapshot) })),
      IU, 'ErrBadSnapshot', 'snapshot type metadata invalid: missing targets sha256 checksum information');
    const short = { ...wire, meta: { ...m, root: { hashes: { sha256: 'AAAA' }, length: root.length } } };
    await rejects(validateUpdate(input(repo, { targets, snapshot: sign(short, repo.snapshot) })),
      IU, 'ErrBadSnapshot', 'snapshot type metadata invalid: invalid root checksum information, invalid sha256 checksum');
  });
  it('refuses a snapshot signed by a key that is not root\'s snapshot key, even when the server holds it (14.48)', async () => {
    const { repo, targets, root } = await clientManaged();
    await rejects(validateUpdate(input(repo, { targets, snapshot: sign(snapshotWire({ root, targets }), repo.timestamp) })),
      IU, 'ErrBadSnapshot', 'valid signatures did not meet threshold for snapshot');
    await rejects(validateUpdate(input(repo, { targets, snapshot: sign(snapshotWire({ root, targets })) })),
      IU, 'ErrBadSnapshot', 'tuf: data has no signatures');
  });
  it('[R] refuses right hashes with a wrong length (14.49)', async () => {
    const { repo, targets, root } = await clientManaged();
    const wire = snapshotWire({ root, targets });
    (wire.meta as Record<string, { length: number }>).targets!.length += 1;
    await rejects(validateUpdate(input(repo, { targets, snapshot: sign(wire, repo.snapshot) })),
      IU, 'ErrBadSnapshot', `length for targets did not match: expected ${targets.length + 1}, got ${targets.length}`);
  });
  it('refuses a snapshot that omits a delegation of the update, or is expired, or has the wrong type', async () => {
    const { repo, targets, root } = await clientManaged();
    const releases = sign(targetsWire({ version: 1, targets: { v1: target() } }), repo.delegate);
    await rejects(validateUpdate(input(repo, { 'targets/releases': releases, snapshot: sign(snapshotWire({ root, targets: repo.stored.get('targets')! }), repo.snapshot) })),
      IU, 'ErrBadSnapshot', 'no checksums for supported algorithms were provided for targets/releases');
    await rejects(validateUpdate(input(repo, { targets, snapshot: sign(snapshotWire({ root, targets }, { expires: '2021-06-15T08:30:00+02:00' }), repo.snapshot) })),
      IU, 'ErrBadSnapshot', 'snapshot expired at Tue Jun 15 08:30:00 +0200 2021');
    await rejects(validateUpdate(input(repo, { targets, snapshot: sign(snapshotWire({ root, targets }, { _type: 'Timestamp' }), repo.snapshot) })),
      IU, 'ErrBadSnapshot', 'snapshot type metadata invalid: expected type Snapshot, not Timestamp');
  });
  it('checks a stored parent loaded for a delegation against the snapshot too', async () => {
    const { repo, root } = await clientManaged();
    const releases = sign(targetsWire({ version: 1, targets: { v1: target() } }), repo.delegate);
    const snapshot = sign(snapshotWire({ root, targets: repo.stored.get('targets')!, 'targets/releases': releases }), repo.snapshot);
    await validateUpdate(input(repo, { 'targets/releases': releases, snapshot }));
  });
  it('refuses an update without snapshot when the server lacks the snapshot key, with ErrBadHierarchy (14.47)', async () => {
    const { repo, targets } = await clientManaged();
    await rejects(validateUpdate(input(repo, { targets })), IU, undefined, undefined, {
      Name: 'ErrBadHierarchy',
      Error: { Missing: 'snapshot', Msg: 'no snapshot was included in update and server does not hold current snapshot key for repository' },
    });
  });
  it('returns only root-listed held keys for server signing', async () => {
    const repo = await initialized();
    const result = await validateUpdate({ ...input(repo, {}), serverHeldKeyIds: async (_r, ids) => [...ids, 'ff'.repeat(32)] });
    assert.deepEqual(result.snapshotKeyIds, [repo.snapshot.id]);
    assert.deepEqual(result.timestampKeyIds, [repo.timestamp.id]);
    assert.deepEqual(result.docs, []);
  });
  it('ignores an uploaded timestamp, whoever signed it (14.50)', async () => {
    const repo = await initialized();
    const timestamp = sign({ _type: 'Timestamp', expires: FUTURE, meta: {}, version: 99 }, makeKey());
    const result = await validateUpdate(input(repo, { timestamp }));
    assert.deepEqual(result.docs, []);
    assert.deepEqual(result.timestampKeyIds, [repo.timestamp.id]);
  });
});
