import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { afterEach, beforeEach, it } from 'node:test';
import pg from 'pg';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { isWharfError } from '../../src/errors/wharf-error.ts';
import { DEFAULT_CHANGE_RECORDS } from '../../src/storage/sql/trust-docs.ts';
import type { Gun, NewTrustDoc, ServerKeyRecord, ServerRole, TufRole } from '../../src/trust/types.ts';
import { forEachStore, forTwoPostgresNodes } from '../helpers/metadata-drivers.ts';

const gun = (name: string): Gun => name as Gun;
const role = (name: string): TufRole => name as TufRole;
const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** A document whose bytes are not canonical on purpose: the store must keep them exactly. */
function doc(roleName: string, version: number, note = ''): NewTrustDoc {
  const bytes = Buffer.from(`{"signed": {"_type": "${roleName}", "version": ${version}},\n "note": ${JSON.stringify(note)}}`);
  return { role: role(roleName), version, sha256Hex: sha256(bytes), bytes };
}

/** A publish as the trust service makes it: targets, snapshot and timestamp of one version. */
function publish(version: number, note = ''): NewTrustDoc[] {
  return [doc('targets', version, note), doc('snapshot', version, note), doc('timestamp', version, note)];
}

function keyRecord(gunName: Gun, roleName: ServerRole, name = randomBytes(8).toString('hex')): ServerKeyRecord {
  return {
    gun: gunName,
    role: roleName,
    keyId: createHash('sha256').update(name).digest('hex'),
    keyType: 'ecdsa',
    publicKey: Buffer.from(`public ${name}`).toString('base64'),
    sealedPrivateKey: Buffer.concat([Buffer.from([1]), randomBytes(40)]),
    isPending: false,
    createdAt: 0,
  };
}

/** Waits for the clock to move on, so that created_at orders the rows written before and after. */
async function tick(): Promise<void> {
  const start = Date.now();
  while (Date.now() === start) await yieldToLoop();
}

function isCode(code: string) {
  return (err: unknown) => isWharfError(err) && err.code === code;
}

const G = gun('127.0.0.1:5443/lab/app');

forEachStore('TrustDocs', (store) => {

  /** Every stored version of the GUN's roles plus the changefeed: the state a failed write must not touch. */
  async function snapshotOf(g: Gun): Promise<unknown> {
    const roles = ['root', 'targets', 'targets/releases', 'snapshot', 'timestamp'];
    const latest = await Promise.all(roles.map((r) => store.trust.latest(g, role(r))));
    return { latest, changes: await store.trust.changes({ changeId: 0, records: 1000 }), guns: await store.trust.guns() };
  }

  it('knows nothing in an empty store', async () => {
    assert.equal(await store.trust.latest(G, role('root')), undefined);
    assert.equal(await store.trust.byVersion(G, role('root'), 1), undefined);
    assert.equal(await store.trust.byChecksum(G, role('root'), sha256(Buffer.from('x'))), undefined);
    assert.deepEqual(await store.trust.guns(), []);
    assert.deepEqual(await store.trust.changes({ changeId: 0, records: 10 }), []);
    assert.deepEqual(await store.trust.changes({ changeId: -1, records: 10 }), []);
  });

  it('stores the exact bytes of every version and serves the highest as latest', async () => {
    const before = Date.now();
    await store.trust.putMany(G, [doc('root', 1), ...publish(1)]);
    await store.trust.putMany(G, publish(2));
    const latest = await store.trust.latest(G, role('targets'));
    assert.ok(latest);
    assert.deepEqual(latest.bytes, doc('targets', 2).bytes);
    assert.equal(latest.version, 2);
    assert.equal(latest.role, 'targets');
    assert.equal(latest.sha256Hex, doc('targets', 2).sha256Hex);
    assert.ok(latest.createdAt >= before && latest.createdAt <= Date.now());
    assert.equal((await store.trust.latest(G, role('root')))?.version, 1);
    assert.deepEqual((await store.trust.byVersion(G, role('targets'), 1))?.bytes, doc('targets', 1).bytes);
    assert.equal(await store.trust.byVersion(G, role('targets'), 3), undefined);
    assert.equal(await store.trust.byVersion(G, role('targets'), 0), undefined);
    assert.equal(await store.trust.latest(gun('127.0.0.1:5443/lab/other'), role('targets')), undefined);
  });

  it('finds a document by (gun, role, sha256) only', async () => {
    const [targets, snapshot] = publish(1);
    await store.trust.putMany(G, publish(1));
    assert.deepEqual((await store.trust.byChecksum(G, role('targets'), targets!.sha256Hex))?.bytes, targets!.bytes);
    assert.equal((await store.trust.byChecksum(G, role('snapshot'), snapshot!.sha256Hex))?.version, 1);
    // The reference's memory store ignores the role here (spec E4); we do not.
    assert.equal(await store.trust.byChecksum(G, role('root'), targets!.sha256Hex), undefined);
    assert.equal(await store.trust.byChecksum(gun(`${G}x`), role('targets'), targets!.sha256Hex), undefined);
    assert.equal(await store.trust.byChecksum(G, role('targets'), targets!.sha256Hex.toUpperCase()), undefined);
  });

  it('keeps delegation roles apart from targets', async () => {
    await store.trust.putMany(G, [doc('targets/releases', 1), doc('targets', 4)]);
    assert.equal((await store.trust.latest(G, role('targets/releases')))?.version, 1);
    assert.equal((await store.trust.latest(G, role('targets')))?.version, 4);
    await store.trust.putMany(G, [doc('targets/releases', 2)]);
    assert.equal((await store.trust.latest(G, role('targets/releases')))?.version, 2);
  });

  it('accepts an empty batch as a no-op', async () => {
    await store.trust.putMany(G, []);
    assert.deepEqual(await store.trust.guns(), []);
  });

  it('rejects a version not above every stored version with TRUST_VERSION, writing nothing of the batch', async () => {
    await store.trust.putMany(G, [doc('root', 1), ...publish(2)]);
    const before = await snapshotOf(G);
    // Spec 6.3 step 5: targets v2 again; root of the same version; a snapshot rollback.
    for (const batch of [
      [doc('targets', 2, 'again'), doc('snapshot', 3), doc('timestamp', 3)],
      [doc('root', 1, 'same version'), doc('targets', 3), doc('snapshot', 3), doc('timestamp', 3)],
      [doc('targets', 3), doc('snapshot', 1, 'rollback'), doc('timestamp', 3)],
      [doc('targets', 3), doc('snapshot', 3), doc('timestamp', 3), doc('timestamp', 3, 'twice in one batch')],
    ]) {
      await assert.rejects(store.trust.putMany(G, batch), isCode('TRUST_VERSION'));
      assert.deepEqual(await snapshotOf(G), before);
    }
    await store.trust.putMany(G, publish(3));
    assert.equal((await store.trust.latest(G, role('timestamp')))?.version, 3);
  });

  it('rejects a document whose checksum does not match its bytes, writing nothing', async () => {
    const bad = { ...doc('targets', 1), sha256Hex: doc('targets', 2).sha256Hex };
    await assert.rejects(store.trust.putMany(G, [doc('root', 1), bad]), isWharfError);
    assert.deepEqual(await store.trust.guns(), []);
  });

  it('appends one update record per stored timestamp', async () => {
    await store.trust.putMany(G, [doc('root', 1), ...publish(1)]);
    await store.trust.putMany(G, [doc('targets/releases', 1)]);
    await store.trust.putMany(G, [doc('snapshot', 2), doc('timestamp', 2)]);
    const changes = await store.trust.changes({ gun: G, changeId: 0, records: 10 });
    assert.deepEqual(
      changes.map(({ gun: g, version, sha256Hex, category }) => ({ gun: g, version, sha256Hex, category })),
      [
        { gun: G, version: 1, sha256Hex: doc('timestamp', 1).sha256Hex, category: 'update' },
        { gun: G, version: 2, sha256Hex: doc('timestamp', 2).sha256Hex, category: 'update' },
      ],
    );
    assert.ok(changes[0]!.id < changes[1]!.id);
    assert.ok(changes.every((c) => Number.isSafeInteger(c.id) && c.createdAt > 0));
  });

  it('deletes exactly one GUN, once, with one deletion record', async () => {
    const sibling = gun(`${G}c`);
    await store.trust.putMany(G, publish(1));
    await store.trust.putMany(sibling, publish(1));
    assert.equal(await store.trust.deleteGun(G), true);
    assert.equal(await store.trust.latest(G, role('targets')), undefined);
    assert.equal(await store.trust.byVersion(G, role('timestamp'), 1), undefined);
    assert.equal(await store.trust.byChecksum(G, role('snapshot'), doc('snapshot', 1).sha256Hex), undefined);
    // The reference's memory store deletes by prefix (spec 8); we match exactly.
    assert.equal((await store.trust.latest(sibling, role('targets')))?.version, 1);
    assert.deepEqual(await store.trust.guns(), [sibling]);
    assert.equal(await store.trust.deleteGun(G), false);
    assert.equal(await store.trust.deleteGun(gun('127.0.0.1:5443/never')), false);
    const changes = await store.trust.changes({ changeId: 0, records: 10 });
    assert.deepEqual(
      changes.map((c) => [c.gun, c.category, c.version, c.sha256Hex]),
      [
        [G, 'update', 1, doc('timestamp', 1).sha256Hex],
        [sibling, 'update', 1, doc('timestamp', 1).sha256Hex],
        [G, 'deletion', 0, ''],
      ],
    );
    // After a deletion the GUN starts over.
    await store.trust.putMany(G, publish(1, 'new'));
    assert.deepEqual((await store.trust.latest(G, role('targets')))?.bytes, doc('targets', 1, 'new').bytes);
  });

  it('pages the changefeed forwards and backwards, always oldest first', async () => {
    const other = gun('127.0.0.1:5443/lab/other');
    for (let v = 1; v <= 6; v++) {
      await store.trust.putMany(G, [doc('timestamp', v)]);
      await store.trust.putMany(other, [doc('timestamp', v)]);
    }
    const all = await store.trust.changes({ changeId: 0, records: 100 });
    assert.equal(all.length, 12);
    const ids = all.map((c) => c.id);
    assert.deepEqual(ids, [...ids].sort((a, b) => a - b));
    const mine = all.filter((c) => c.gun === G);
    const idsOf = (list: { id: number }[]) => list.map((c) => c.id);

    assert.deepEqual(idsOf(await store.trust.changes({ changeId: 0, records: 5 })), ids.slice(0, 5));
    assert.deepEqual(idsOf(await store.trust.changes({ changeId: ids[4]!, records: 3 })), ids.slice(5, 8));
    assert.deepEqual(idsOf(await store.trust.changes({ gun: G, changeId: mine[1]!.id, records: 2 })), idsOf(mine.slice(2, 4)));
    assert.deepEqual(idsOf(await store.trust.changes({ changeId: ids[11]!, records: 5 })), []);
    // Backwards: the |records| before change_id, or the newest for change_id -1; oldest first.
    assert.deepEqual(idsOf(await store.trust.changes({ changeId: ids[6]!, records: -3 })), ids.slice(3, 6));
    assert.deepEqual(idsOf(await store.trust.changes({ changeId: -1, records: 4 })), ids.slice(8));
    assert.deepEqual(idsOf(await store.trust.changes({ changeId: -1, records: -4 })), ids.slice(8));
    assert.deepEqual(idsOf(await store.trust.changes({ gun: G, changeId: -1, records: 2 })), idsOf(mine.slice(4)));
    assert.deepEqual(idsOf(await store.trust.changes({ changeId: ids[2]!, records: -10 })), ids.slice(0, 2));
    assert.deepEqual(idsOf(await store.trust.changes({ changeId: 0, records: -2 })), ids.slice(10));
    assert.deepEqual(await store.trust.changes({ gun: gun(`${G}/x`), changeId: 0, records: 10 }), []);
  });

  it(`reads ${DEFAULT_CHANGE_RECORDS} records when asked for 0`, async () => {
    const count = DEFAULT_CHANGE_RECORDS + 5;
    await store.trust.putMany(G, Array.from({ length: count }, (_, i) => doc('timestamp', i + 1)));
    const forward = await store.trust.changes({ changeId: 0, records: 0 });
    assert.equal(forward.length, DEFAULT_CHANGE_RECORDS);
    assert.equal(forward[0]!.version, 1);
    const newest = await store.trust.changes({ changeId: -1, records: 0 });
    assert.equal(newest.length, DEFAULT_CHANGE_RECORDS);
    assert.equal(newest.at(-1)!.version, count);
  });

  it('lists GUNs with trust data in byte order', async () => {
    const names = ['h:1/b', 'h:1/a_c', 'h:1/a.c', 'h:1/A', 'h:1/a-c', 'h:1/a/c', 'h:1/a', 'h:1/z'];
    for (const name of names) await store.trust.putMany(gun(name), [doc('root', 1)]);
    const expected = [...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    assert.deepEqual(await store.trust.guns(), expected);
  });

  it('lets exactly one of two concurrent publishers of one version succeed, writing nothing of the other', async () => {
    await store.trust.putMany(G, [doc('root', 1), ...publish(1)]);
    for (let v = 2; v <= 4; v++) {
      const results = await Promise.allSettled([store.trust.putMany(G, publish(v, 'a')), store.trust.putMany(G, publish(v, 'b'))]);
      const won = results.findIndex((r) => r.status === 'fulfilled');
      const lost = results.find((r) => r.status === 'rejected');
      assert.ok(won >= 0 && lost, JSON.stringify(results));
      assert.ok(isCode('TRUST_VERSION')(lost.reason), String(lost.reason));
      const note = won === 0 ? 'a' : 'b';
      for (const d of publish(v, note)) assert.deepEqual((await store.trust.latest(G, d.role))?.bytes, d.bytes);
      const updates = (await store.trust.changes({ gun: G, changeId: -1, records: 10 })).filter((c) => c.version === v);
      assert.deepEqual(updates.map((c) => c.sha256Hex), [doc('timestamp', v, note).sha256Hex]);
    }
  });
});

forEachStore('ServerKeys', (store) => {

  it('lists no keys for an unknown GUN', async () => {
    assert.deepEqual(await store.serverKeys.list(G, 'timestamp'), []);
  });

  it('creates the pending key once and returns it again, with its sealed bytes', async () => {
    const made = keyRecord(G, 'timestamp');
    let calls = 0;
    const make = async () => (calls++, made);
    const first = await store.serverKeys.pending(G, 'timestamp', make);
    const again = await store.serverKeys.pending(G, 'timestamp', make);
    assert.equal(calls, 1);
    assert.deepEqual({ ...first, createdAt: 0 }, { ...made, isPending: true });
    assert.deepEqual(again, first);
    assert.deepEqual(await store.serverKeys.list(G, 'timestamp'), [first]);
    assert.deepEqual(await store.serverKeys.list(G, 'snapshot'), []);
    assert.deepEqual(await store.serverKeys.list(gun(`${G}x`), 'timestamp'), []);
  });

  it('gives concurrent callers of pending the same key', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, () => store.serverKeys.pending(G, 'snapshot', async () => keyRecord(G, 'snapshot'))),
    );
    assert.equal(new Set(results.map((k) => k.keyId)).size, 1);
    assert.deepEqual(await store.serverKeys.list(G, 'snapshot'), [results[0]]);
  });

  it('rotates: the old key stays listed but is no longer pending, the new one is', async () => {
    const old = await store.serverKeys.pending(G, 'timestamp', async () => keyRecord(G, 'timestamp', 'old'));
    await tick();
    const next = keyRecord(G, 'timestamp', 'next');
    await store.serverKeys.rotate(G, 'timestamp', next);
    const listed = await store.serverKeys.list(G, 'timestamp');
    assert.deepEqual(
      listed.map((k) => [k.keyId, k.isPending]),
      [
        [old.keyId, false],
        [next.keyId, true],
      ],
    );
    const pending = await store.serverKeys.pending(G, 'timestamp', async () => assert.fail('must not make a key'));
    assert.equal(pending.keyId, next.keyId);
    assert.deepEqual(pending.sealedPrivateKey, next.sealedPrivateKey);
  });

  it('rotates without a pending key by making the record pending', async () => {
    const next = keyRecord(G, 'snapshot');
    await store.serverKeys.rotate(G, 'snapshot', next);
    assert.deepEqual((await store.serverKeys.list(G, 'snapshot')).map((k) => [k.keyId, k.isPending]), [[next.keyId, true]]);
  });

  it('lets concurrent rotations both land, leaving one pending key', async () => {
    await store.serverKeys.pending(G, 'timestamp', async () => keyRecord(G, 'timestamp'));
    await Promise.all([1, 2, 3].map(() => store.serverKeys.rotate(G, 'timestamp', keyRecord(G, 'timestamp'))));
    const listed = await store.serverKeys.list(G, 'timestamp');
    assert.equal(listed.length, 4);
    assert.equal(listed.filter((k) => k.isPending).length, 1);
  });

  it('retires every key of the GUN only; pending then makes a new one', async () => {
    const other = gun(`${G}c`);
    const retired = await store.serverKeys.pending(G, 'timestamp', async () => keyRecord(G, 'timestamp'));
    await store.serverKeys.rotate(G, 'timestamp', keyRecord(G, 'timestamp'));
    await store.serverKeys.pending(G, 'snapshot', async () => keyRecord(G, 'snapshot'));
    const kept = await store.serverKeys.pending(other, 'timestamp', async () => keyRecord(other, 'timestamp'));
    await store.serverKeys.retireGun(G);
    await store.serverKeys.retireGun(G);
    assert.deepEqual(await store.serverKeys.list(G, 'timestamp'), []);
    assert.deepEqual(await store.serverKeys.list(G, 'snapshot'), []);
    assert.deepEqual(await store.serverKeys.list(other, 'timestamp'), [kept]);
    const fresh = await store.serverKeys.pending(G, 'timestamp', async () => keyRecord(G, 'timestamp'));
    assert.notEqual(fresh.keyId, retired.keyId);
    assert.deepEqual(await store.serverKeys.list(G, 'timestamp'), [fresh]);
  });
});

forTwoPostgresNodes('trust data written from two nodes', (nodes) => {
  let writer: pg.Client;
  beforeEach(async () => {
    writer = new pg.Client({ connectionString: nodes.url });
    await writer.connect();
  });
  afterEach(async () => {
    await writer.end();
  });

  it('lets exactly one of two nodes publish a version', async () => {
    await nodes.a.trust.putMany(G, [doc('root', 1), ...publish(1)]);
    for (let v = 2; v <= 6; v++) {
      const results = await Promise.allSettled([nodes.a.trust.putMany(G, publish(v, 'a')), nodes.b.trust.putMany(G, publish(v, 'b'))]);
      const won = results.findIndex((r) => r.status === 'fulfilled');
      const lost = results.find((r) => r.status === 'rejected');
      assert.ok(won >= 0 && lost, JSON.stringify(results));
      assert.ok(isCode('TRUST_VERSION')(lost.reason), String(lost.reason));
      const note = won === 0 ? 'a' : 'b';
      for (const d of publish(v, note)) assert.deepEqual((await nodes.b.trust.latest(G, d.role))?.bytes, d.bytes);
    }
    assert.equal((await nodes.a.trust.changes({ gun: G, changeId: 0, records: 100 })).length, 6);
  });

  it('turns a primary key conflict with a writer that bypasses the lock into TRUST_VERSION', async () => {
    await nodes.a.trust.putMany(G, [doc('root', 1), ...publish(1)]);
    const raced = doc('timestamp', 2, 'raw');
    await writer.query('BEGIN');
    await writer.query('INSERT INTO trust_docs (gun, role, version, sha256, content, created_at) VALUES ($1, $2, $3, $4, $5, $6)', [
      G,
      'timestamp',
      2,
      raced.sha256Hex,
      raced.bytes,
      Date.now(),
    ]);
    const put = nodes.a.trust.putMany(G, publish(2));
    const outcome = put.then(
      () => 'stored',
      (err: unknown) => err,
    );
    const deadline = Date.now() + 10_000;
    for (;;) {
      const waiting = await writer.query("SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'");
      if (waiting.rowCount) break;
      assert.ok(Date.now() < deadline, 'putMany never waited for the writer');
      await yieldToLoop();
    }
    await writer.query('COMMIT');
    assert.ok(isCode('TRUST_VERSION')(await outcome));
    assert.equal((await nodes.a.trust.latest(G, role('targets')))?.version, 1);
    assert.equal((await nodes.a.trust.latest(G, role('snapshot')))?.version, 1);
    assert.deepEqual((await nodes.a.trust.latest(G, role('timestamp')))?.bytes, raced.bytes);
    assert.equal((await nodes.a.trust.changes({ gun: G, changeId: 0, records: 100 })).length, 1);
  });

  it('gives both nodes the same pending key', async () => {
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        (i % 2 ? nodes.a : nodes.b).serverKeys.pending(G, 'timestamp', async () => keyRecord(G, 'timestamp')),
      ),
    );
    assert.equal(new Set(results.map((k) => k.keyId)).size, 1);
    assert.equal((await nodes.a.serverKeys.list(G, 'timestamp')).length, 1);
  });

  it('lets rotations from both nodes land, leaving one pending key', async () => {
    await nodes.a.serverKeys.pending(G, 'snapshot', async () => keyRecord(G, 'snapshot'));
    const rotators = Array.from({ length: 8 }, (_, i) => (i % 2 ? nodes.a : nodes.b));
    await Promise.all(rotators.map((node) => node.serverKeys.rotate(G, 'snapshot', keyRecord(G, 'snapshot'))));
    const listed = await nodes.b.serverKeys.list(G, 'snapshot');
    assert.equal(listed.length, 9);
    assert.equal(listed.filter((k) => k.isPending).length, 1);
  });
});
