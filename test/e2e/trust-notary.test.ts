import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { mustRun } from '../helpers/run.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { cachedMetadataPath, keyFiles, notaryCli, type NotaryCli } from '../helpers/trust-clients.ts';
import { IS_REFERENCE_TRUST, startTrustTarget, trustUrlFor, type TrustTarget } from '../helpers/trust-target.ts';

interface Signed<T> {
  signed: T & { version: number };
  signatures: Array<{ keyid: string; method: string; sig: string }>;
}
interface RootBody {
  roles: Record<string, { keyids: string[]; threshold: number }>;
}
interface ChangeRecord {
  ID: string;
  CreatedAt: string;
  GUN: string;
  Version: number;
  SHA256: string;
  Category: string;
}

// The notary CLI 0.7 against startTrustTarget() (Wharf by default; WHARF_E2E_TRUST=reference:
// notary-server). GUNs are <registry host>/e2e/<name>, as Wharf only accepts GUNs on its own
// host (spec 1.2). Steps in a block build on each other and run in order. notary logs in with
// NOTARY_AUTH for what it writes, but its read commands (list, lookup, verify, delegation list)
// never send credentials (notary issue 1525), so this block runs with anonymous pull on; the
// changefeed block below runs without it.
describe('notary CLI 0.7', { timeout: 170_000 }, () => {
  let target: TrustTarget;
  let work: Awaited<ReturnType<typeof tmpDir>>;
  const cleanups: Array<() => Promise<void>> = [];
  let owner: NotaryCli;
  let gun: string;
  let file: string;
  const fileBytes = Buffer.from(`wharf e2e target ${Date.now()}\n`);
  const fileHex = createHash('sha256').update(fileBytes).digest('hex');

  const context = () => `--- servers\n${target.output().slice(-4000)}`;
  const client = async (): Promise<NotaryCli> => {
    const c = await notaryCli({ serverUrl: trustUrlFor(target), caPem: target.caPem, credentials: target.credentials, context });
    cleanups.push(() => c.remove());
    return c;
  };
  /** The current `<role>.json` from the trust server, parsed. */
  const serverJson = async <T>(g: string, role: string): Promise<Signed<T>> => {
    const res = await target.fetchTrust(`/v2/${g}/_trust/tuf/${role}.json`);
    const text = await res.text();
    assert.equal(res.status, 200, `GET ${role}.json: ${text}`);
    return JSON.parse(text) as Signed<T>;
  };
  /** Target names and roles from `notary list` (its table, header lines skipped). */
  const listTargets = async (c: NotaryCli, g = gun): Promise<string[]> => {
    const out = (await c.must(['list', g])).stdout;
    return out.split('\n').slice(2).filter((l) => l.trim() !== '').map((l) => {
      const cols = l.trim().split(/\s+/);
      return `${cols[0]} ${cols[3]}`;
    }).sort();
  };

  before(async () => {
    target = await startTrustTarget({ anonymousPull: true });
    cleanups.push(() => target.stop());
    work = await tmpDir('wharf-e2e-trust-notary-');
    cleanups.push(() => work.remove());
    owner = await client();
    gun = `${target.registryHost}/e2e/notary-app`;
    file = join(work.path, 'target.txt');
    await writeFile(file, fileBytes);
  });

  after(async () => {
    const errors: unknown[] = [];
    for (const cleanup of cleanups.reverse()) await cleanup().catch((e: unknown) => errors.push(e));
    if (errors.length > 0) throw new AggregateError(errors, 'e2e cleanup failed');
  });

  it('list of a GUN without trust data fails with "does not have trust data"', async () => {
    const res = await owner.run(['list', gun]);
    assert.equal(res.code, 1);
    assert.match(res.stdout + res.stderr, new RegExp(`does not have trust data for ${gun}`));
  });

  it('init -p publishes a new repository (root, targets, snapshot keys created)', async () => {
    const init = await owner.must(['init', gun, '-p']);
    assert.match(init.stdout, new RegExp(`Successfully published changes for repository ${gun}`));
    assert.deepEqual((await keyFiles(owner.trustDir)).map((k) => [k.role, k.gun ?? '']).sort(),
      [['root', ''], ['snapshot', gun], ['targets', gun]]);
    assert.equal((await serverJson(gun, 'root')).signed.version, 1);
    assert.deepEqual(await listTargets(owner), []);
  });

  it('add -p, list, lookup and verify a target', async () => {
    await owner.must(['add', gun, 'v1', file, '-p']);
    await owner.must(['add', gun, 'v2', file, '-p']);
    assert.deepEqual(await listTargets(owner), ['v1 targets', 'v2 targets']);
    const lookup = await owner.must(['lookup', gun, 'v1']);
    assert.equal(lookup.stdout.trim(), `v1 sha256:${fileHex} ${fileBytes.length}`);
    const verify = await owner.must(['verify', gun, 'v1'], { input: fileBytes });
    assert.equal(verify.stdout, fileBytes.toString());
    const bad = await owner.run(['verify', gun, 'v1'], { input: 'other bytes\n' });
    assert.notEqual(bad.code, 0, 'verify accepted data that does not match the target');
  });

  it('remove, then publish of staged changes', async () => {
    await owner.must(['remove', gun, 'v2']);
    await owner.must(['add', gun, 'v3', file]);
    assert.deepEqual(await listTargets(owner), ['v1 targets', 'v2 targets'], 'staged changes were published early');
    const publish = await owner.must(['publish', gun]);
    assert.match(publish.stdout, new RegExp(`Successfully published changes for repository ${gun}`));
    assert.deepEqual(await listTargets(owner), ['v1 targets', 'v3 targets']);
  });

  /** `notary key rotate <gun> <role> -r`: root lists a new key that only the server holds. */
  async function rotateToServer(role: 'snapshot' | 'timestamp'): Promise<void> {
    const before = (await serverJson<RootBody>(gun, 'root')).signed;
    const rotate = await owner.must(['key', 'rotate', gun, role, '-r']);
    assert.match(rotate.stdout, new RegExp(`Successfully rotated ${role} key`));
    const after = (await serverJson<RootBody>(gun, 'root')).signed;
    assert.equal(after.version, before.version + 1);
    assert.notDeepEqual(after.roles[role]?.keyids, before.roles[role]?.keyids);
    const res = await target.fetchTrust(`/v2/${gun}/_trust/tuf/${role}.key`);
    assert.equal(res.status, 200);
    await res.arrayBuffer();
  }

  it('key rotate snapshot -r makes the snapshot server-managed (so delegates can publish)', async () => {
    await rotateToServer('snapshot');
    await owner.must(['add', gun, 'v2', file, '-p']);
    await owner.must(['remove', gun, 'v2', '-p']);
    assert.deepEqual(await listTargets(await client()), ['v1 targets', 'v3 targets']);
  });

  let delegate: NotaryCli;
  let delegateKeyId = '';

  it('delegation add (with paths) and delegation list', async () => {
    const key = join(work.path, 'delegate.key');
    const cert = join(work.path, 'delegate.crt');
    await mustRun('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '365',
      '-subj', '/CN=delegate', '-keyout', key, '-out', cert]);
    await owner.must(['delegation', 'add', gun, 'targets/releases', cert, '--all-paths', '-p']);
    const add = await owner.must(['delegation', 'add', gun, 'targets/team', cert, '--paths', 'team/', '-p']);
    delegateKeyId = /with keys \[([0-9a-f]{64})\]/.exec(add.stdout)?.[1] ?? assert.fail(add.stdout);
    const list = (await owner.must(['delegation', 'list', gun])).stdout;
    assert.match(list, new RegExp(`targets/releases\\s+"" <all paths>\\s+${delegateKeyId}\\s+1`));
    assert.match(list, new RegExp(`targets/team\\s+team/\\s+${delegateKeyId}\\s+1`));
    delegate = await client();
    await delegate.must(['key', 'import', key, '--role', 'targets/team']);
  });

  it('publishes as a delegate (own trust dir, delegation key only) within its paths', async () => {
    const add = await delegate.must(['add', gun, 'team/app', file, '--roles', 'targets/team', '-p']);
    assert.match(add.stdout, /Successfully published changes/);
    assert.deepEqual(await listTargets(owner), ['team/app targets/team', 'v1 targets', 'v3 targets']);
    assert.deepEqual((await keyFiles(delegate.trustDir)).map((k) => k.role), ['targets/team']);
    const outside = await delegate.run(['add', gun, 'elsewhere', file, '--roles', 'targets/team', '-p']);
    assert.notEqual(outside.code, 0, 'a target outside the delegation paths was published');
    await delegate.must(['reset', gun, '--all']);
    assert.deepEqual(await listTargets(owner), ['team/app targets/team', 'v1 targets', 'v3 targets']);
  });

  it('witness re-signs a delegation role with a new version', async () => {
    const before = (await serverJson(gun, 'targets/team')).signed.version;
    await delegate.must(['witness', gun, 'targets/team', '-p']);
    assert.equal((await serverJson(gun, 'targets/team')).signed.version, before + 1);
  });

  it('delegation remove drops the role and its targets', async () => {
    await owner.must(['delegation', 'remove', gun, 'targets/team', '-y', '-p']);
    const list = (await owner.must(['delegation', 'list', gun])).stdout;
    assert.doesNotMatch(list, /targets\/team/);
    assert.match(list, /targets\/releases/);
    assert.deepEqual(await listTargets(owner), ['v1 targets', 'v3 targets']);
  });

  it('key rotate targets: new targets key in root; a fresh client still verifies', async () => {
    const before = (await serverJson<RootBody>(gun, 'root')).signed;
    const rotate = await owner.must(['key', 'rotate', gun, 'targets']);
    assert.match(rotate.stdout, /Successfully rotated targets key/);
    const after = (await serverJson<RootBody>(gun, 'root')).signed;
    assert.equal(after.version, before.version + 1);
    assert.notDeepEqual(after.roles['targets']?.keyids, before.roles['targets']?.keyids);
    assert.deepEqual(await listTargets(await client()), ['v1 targets', 'v3 targets']);
  });

  it('root rotation chains root versions; a client holding an old root follows the chain', async () => {
    const early = await client();
    await listTargets(early);
    const cachedVersion = (JSON.parse(await readFile(cachedMetadataPath(early.trustDir, gun, 'root'), 'utf8')) as Signed<RootBody>).signed.version;
    for (let i = 0; i < 2; i++) {
      const rotate = await owner.must(['key', 'rotate', gun, 'root'], { input: 'yes\n' });
      assert.match(rotate.stdout, /Successfully rotated root key/);
    }
    const newest = await serverJson<RootBody>(gun, 'root');
    assert.equal(newest.signed.version, cachedVersion + 2);
    for (let v = 1; v <= newest.signed.version; v++) {
      const res = await target.fetchTrust(`/v2/${gun}/_trust/tuf/${v}.root.json`);
      assert.equal(res.status, 200, `root version ${v} is not retrievable`);
      assert.equal((JSON.parse(await res.text()) as Signed<RootBody>).signed.version, v);
    }
    assert.ok(newest.signatures.length >= 2, 'a rotated root is signed by the old and the new root key');
    assert.deepEqual(await listTargets(early), ['v1 targets', 'v3 targets']);
    const cached = JSON.parse(await readFile(cachedMetadataPath(early.trustDir, gun, 'root'), 'utf8')) as Signed<RootBody>;
    assert.equal(cached.signed.version, newest.signed.version);
  });

  it('key rotate timestamp -r gives the server a new timestamp key', async () => {
    await rotateToServer('timestamp');
    await owner.must(['add', gun, 'v4', file, '-p']);
    assert.deepEqual(await listTargets(await client()), ['v1 targets', 'v3 targets', 'v4 targets']);
  });

  it('delete --remote removes local and remote trust data', async () => {
    const del = await owner.must(['delete', gun, '--remote']);
    assert.match(del.stdout, new RegExp(`Successfully deleted local and remote trust data for repository ${gun}`));
    const res = await target.fetchTrust(`/v2/${gun}/_trust/tuf/root.json`);
    assert.equal(res.status, 404);
    assert.equal(((await res.json()) as { errors: Array<{ code: string }> }).errors[0]?.code, 'METADATA_NOT_FOUND');
    const list = await (await client()).run(['list', gun]);
    assert.match(list.stdout + list.stderr, /does not have trust data/);
  });
});

// Neither CLI reads the changefeed (spec 9), so it is checked over HTTP after the CLI wrote to it.
// notary-server's memory store keeps a changefeed too, so this also runs against the reference.
describe('changefeed over HTTP after notary CLI publishes', { timeout: 120_000 }, () => {
  let target: TrustTarget;
  let owner: NotaryCli;
  let gun: string;
  let work: Awaited<ReturnType<typeof tmpDir>>;

  before(async () => {
    target = await startTrustTarget();
    work = await tmpDir('wharf-e2e-changefeed-');
    owner = await notaryCli({ serverUrl: trustUrlFor(target), caPem: target.caPem, credentials: target.credentials, context: () => target.output().slice(-4000) });
    gun = `${target.registryHost}/e2e/changefeed`;
    await writeFile(join(work.path, 'f'), 'changefeed\n');
    await owner.must(['init', gun, '-p']);
    await owner.must(['add', gun, 'v1', join(work.path, 'f'), '-p']);
    await owner.must(['delete', gun, '--remote']);
  });

  after(async () => {
    await owner?.remove();
    await work?.remove();
    await target?.stop();
  });

  const feed = async (path: string): Promise<{ count: number; records: ChangeRecord[] }> => {
    const res = await target.fetchTrust(path);
    const text = await res.text();
    assert.equal(res.status, 200, `GET ${path}: ${text}`);
    const body = JSON.parse(text) as { count: number; records: ChangeRecord[] | null };
    return { count: body.count, records: body.records ?? [] };
  };
  const assertRecordShape = (r: ChangeRecord) => {
    assert.deepEqual(Object.keys(r).sort(), ['Category', 'CreatedAt', 'GUN', 'ID', 'SHA256', 'Version']);
    assert.match(r.ID, /^\d+$/);
    assert.ok(!Number.isNaN(Date.parse(r.CreatedAt)), r.CreatedAt);
    assert.ok(Number.isInteger(r.Version));
    assert.match(r.SHA256, r.Category === 'deletion' ? /^$/ : /^[0-9a-f]{64}$/);
  };

  it('GET /v2/<gun>/_trust/changefeed?records=10 lists the GUN\'s updates and its deletion, oldest first', async () => {
    const { count, records } = await feed(`/v2/${gun}/_trust/changefeed?records=10`);
    assert.equal(count, records.length);
    records.forEach(assertRecordShape);
    assert.ok(records.every((r) => r.GUN === gun));
    assert.deepEqual(records.map((r) => r.Category), [...records.slice(0, -1).map(() => 'update'), 'deletion']);
    assert.ok(records.length >= 3, 'init and add each store a timestamp');
    const updates = records.filter((r) => r.Category === 'update');
    assert.deepEqual(updates.map((r) => r.Version), updates.map((_, i) => i + 1));
    const ids = records.map((r) => Number(r.ID));
    assert.deepEqual(ids, [...ids].sort((a, b) => a - b));
    assert.equal(records.at(-1)?.Version, 0);
  });

  it('GET /v2/_trust/changefeed?records=10 returns at most 10 records of every GUN', async () => {
    const { count, records } = await feed('/v2/_trust/changefeed?records=10');
    assert.equal(count, records.length);
    assert.ok(count > 0 && count <= 10, `count ${count}`);
    records.forEach(assertRecordShape);
    assert.ok(records.some((r) => r.GUN === gun));
  });

  it('refuses notary list without anonymous pull, as notary sends no credentials for reads', { skip: IS_REFERENCE_TRUST && 'the reference servers are open' }, async () => {
    const list = await owner.run(['list', gun]);
    assert.notEqual(list.code, 0);
    assert.match(list.stdout + list.stderr, /unauthorized/);
  });

  it('rejects a changefeed request without records with 400 INVALID_PARAMETERS', async () => {
    const res = await target.fetchTrust(`/v2/${gun}/_trust/changefeed`);
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as { errors: Array<{ code: string }> }).errors[0]?.code, 'INVALID_PARAMETERS');
  });
});
