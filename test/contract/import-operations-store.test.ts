import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { it } from 'node:test';
import type { ImportOperationRecord, NewImportOperation } from '../../src/storage/metadata-store.ts';
import { forEachStore, forTwoPostgresNodes } from '../helpers/metadata-drivers.ts';

const T0 = 1_700_000_000_000;
const ZERO = { manifests: 0, blobsCopied: 0, blobsSkipped: 0, bytesCopied: 0 };
const SOME = { manifests: 2, blobsCopied: 3, blobsSkipped: 1, bytesCopied: 5_000_000_000 };
const GONE = { code: 'Canceled', message: 'interrupted by a restart of Wharf' };

const newOp = (extra: Partial<NewImportOperation> = {}): NewImportOperation => ({
  id: randomUUID(), ownerId: 'owner-id', source: 'reg.example.com/team/app:1', targets: ['team/app:1', 'mirror/app'], node: 'node-a', startedAt: T0, ...extra,
});

forEachStore('ImportOperationStore', (store) => {

  it('stores a new operation InProgress with zero progress and reads it back; absent ids are undefined', async () => {
    const op = newOp();
    const made = await store.imports.create(op);
    const expected: ImportOperationRecord = { ...op, status: 'InProgress', progress: ZERO, heartbeatAt: T0 };
    assert.deepEqual(made, expected);
    assert.deepEqual(await store.imports.get(op.id), expected);
    assert.equal(await store.imports.get(randomUUID()), undefined);
  });

  it('refuses a second operation with the same id with CONFLICT and keeps the first', async () => {
    const op = await store.imports.create(newOp());
    await assert.rejects(store.imports.create(newOp({ id: op.id, source: 'other.example.com/x:1' })), { code: 'CONFLICT' });
    assert.deepEqual(await store.imports.get(op.id), op);
  });

  it('records progress (bytes beyond 2^32 too) and heartbeat while InProgress', async () => {
    const op = await store.imports.create(newOp());
    assert.equal(await store.imports.progress(op.id, SOME, T0 + 1000), true);
    assert.deepEqual(await store.imports.get(op.id), { ...op, progress: SOME, heartbeatAt: T0 + 1000 });
    assert.equal(await store.imports.progress(randomUUID(), SOME, T0), false);
  });

  it('ends an operation once: later progress or finish writes change nothing', async () => {
    const op = await store.imports.create(newOp());
    const error = { code: 'SourceNotFound', message: 'reg.example.com/team/app:1 does not exist' };
    assert.equal(await store.imports.finish(op.id, { status: 'Failed', error, progress: SOME, at: T0 + 5000 }), true);
    const ended = { ...op, status: 'Failed' as const, error, progress: SOME, heartbeatAt: T0 + 5000, endedAt: T0 + 5000 };
    assert.deepEqual(await store.imports.get(op.id), ended);
    assert.equal(await store.imports.progress(op.id, ZERO, T0 + 6000), false);
    assert.equal(await store.imports.finish(op.id, { status: 'Succeeded', progress: ZERO, at: T0 + 7000 }), false);
    assert.deepEqual(await store.imports.get(op.id), ended);
    assert.equal(await store.imports.finish(randomUUID(), { status: 'Succeeded', progress: ZERO, at: T0 }), false);
  });

  it('a Succeeded operation has no error', async () => {
    const op = await store.imports.create(newOp());
    assert.equal(await store.imports.finish(op.id, { status: 'Succeeded', progress: SOME, at: T0 + 10 }), true);
    const got = await store.imports.get(op.id);
    assert.equal(got?.status, 'Succeeded');
    assert.equal(got?.error, undefined);
    assert.equal(got?.endedAt, T0 + 10);
  });

  it('interrupts the InProgress operations of a node or with a stale heartbeat, and only those', async () => {
    const mine = await store.imports.create(newOp({ node: 'node-a' }));
    const staleOther = await store.imports.create(newOp({ node: 'node-b' }));
    const liveOther = await store.imports.create(newOp({ node: 'node-b' }));
    const endedMine = await store.imports.create(newOp({ node: 'node-a' }));
    await store.imports.progress(liveOther.id, SOME, T0 + 60_000);
    await store.imports.finish(endedMine.id, { status: 'Succeeded', progress: SOME, at: T0 + 100 });
    const before = await store.imports.get(endedMine.id);

    const ids = await store.imports.interrupt({ node: 'node-a', heartbeatBefore: T0 + 30_000 }, GONE, T0 + 90_000);
    assert.deepEqual(ids, [mine.id, staleOther.id].sort());
    for (const id of ids) {
      const op = await store.imports.get(id);
      assert.deepEqual([op?.status, op?.error, op?.endedAt], ['Failed', GONE, T0 + 90_000]);
    }
    assert.equal((await store.imports.get(liveOther.id))?.status, 'InProgress');
    assert.deepEqual(await store.imports.get(endedMine.id), before, 'an ended operation keeps its outcome');
    assert.deepEqual(await store.imports.interrupt({ node: 'node-a', heartbeatBefore: T0 + 30_000 }, GONE, T0 + 91_000), []);
  });

  it('without a node, interrupts only operations whose heartbeat is older than the bound', async () => {
    const a = await store.imports.create(newOp({ node: 'node-a', startedAt: T0 }));
    const b = await store.imports.create(newOp({ node: 'node-b', startedAt: T0 + 10 }));
    assert.deepEqual(await store.imports.interrupt({ heartbeatBefore: T0 + 10 }, GONE, T0 + 20), [a.id]);
    assert.equal((await store.imports.get(b.id))?.status, 'InProgress');
  });

  it('prunes operations that ended before the bound; running ones stay whatever their age', async () => {
    const old = await store.imports.create(newOp());
    const recent = await store.imports.create(newOp());
    const running = await store.imports.create(newOp());
    await store.imports.finish(old.id, { status: 'Succeeded', progress: SOME, at: T0 + 1000 });
    await store.imports.finish(recent.id, { status: 'Failed', error: GONE, progress: SOME, at: T0 + 3000 });
    assert.equal(await store.imports.prune(T0 + 2000), 1);
    assert.equal(await store.imports.get(old.id), undefined);
    assert.equal((await store.imports.get(recent.id))?.status, 'Failed');
    assert.equal(await store.imports.prune(T0 + 999_999_999), 1);
    assert.equal((await store.imports.get(running.id))?.status, 'InProgress');
  });
});

forTwoPostgresNodes('import operations on two nodes', (nodes) => {

  it('an operation started on one node is read, advanced and ended as seen from the other', async () => {
    const op = await nodes.a.imports.create(newOp({ node: 'node-a' }));
    assert.deepEqual(await nodes.b.imports.get(op.id), op);
    await nodes.a.imports.progress(op.id, SOME, T0 + 1000);
    assert.deepEqual((await nodes.b.imports.get(op.id))?.progress, SOME);
    await nodes.a.imports.finish(op.id, { status: 'Succeeded', progress: SOME, at: T0 + 2000 });
    assert.equal((await nodes.b.imports.get(op.id))?.status, 'Succeeded');
  });

  it('when a node restarts it interrupts only its own operations, not those the other node keeps alive', async () => {
    const [ofA, ofB] = await Promise.all([nodes.a.imports.create(newOp({ node: 'node-a' })), nodes.b.imports.create(newOp({ node: 'node-b' }))]);
    assert.deepEqual(await nodes.a.imports.interrupt({ node: 'node-a', heartbeatBefore: T0 - 60_000 }, GONE, T0 + 1), [ofA.id]);
    assert.equal((await nodes.b.imports.get(ofA.id))?.status, 'Failed');
    assert.equal((await nodes.a.imports.get(ofB.id))?.status, 'InProgress');
  });

  it('a finish racing an interrupt ends the operation exactly once', async () => {
    const op = await nodes.a.imports.create(newOp({ node: 'node-a' }));
    const [finished, interrupted] = await Promise.all([
      nodes.a.imports.finish(op.id, { status: 'Succeeded', progress: SOME, at: T0 + 5 }),
      nodes.b.imports.interrupt({ heartbeatBefore: T0 + 1 }, GONE, T0 + 6),
    ]);
    assert.equal(Number(finished) + interrupted.length, 1, `finish ${finished}, interrupt ${JSON.stringify(interrupted)}`);
    const ended = await nodes.b.imports.get(op.id);
    assert.equal(ended?.status, finished ? 'Succeeded' : 'Failed');
  });
});
