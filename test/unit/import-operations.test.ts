import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, it } from 'node:test';
import pino from 'pino';
import { ImportOperations, INTERRUPTED, KEEP_FINISHED_MS, STALE_AFTER_MS } from '../../src/import/import-operations.ts';
import type { MetadataStore } from '../../src/storage/metadata-store.ts';
import { openSqlMetadataStore } from '../../src/storage/sql/open.ts';
import { tmpDir } from '../helpers/tmp.ts';

const T0 = 1_700_000_000_000;
const ZERO = { manifests: 0, blobsCopied: 0, blobsSkipped: 0, bytesCopied: 0 };

// ImportOperations over a real SQLite store, with a clock the test moves.
describe('ImportOperations', () => {
  let dir: { path: string; remove(): Promise<void> };
  let store: MetadataStore;
  let now = T0;
  const operations = (node = 'node-a') => new ImportOperations({ store: store.imports, node, now: () => now, log: pino({ level: 'silent' }) });
  const stored = (node: string, startedAt: number) =>
    store.imports.create({ id: randomUUID(), ownerId: 'owner', source: 'reg.example.com/a:1', targets: ['a:1'], node, startedAt });

  beforeEach(async () => {
    now = T0;
    dir = await tmpDir();
    store = await openSqlMetadataStore('sqlite', { dataDir: dir.path });
  });
  afterEach(async () => {
    await store.close();
    await dir.remove();
  });

  it('shows a running import with its live progress, only to its owner, and stores the outcome with the final progress', async () => {
    const ops = operations();
    const op = await ops.create('owner', 'reg.example.com/a:1', ['a:1']);
    op.progress.blobsCopied = 2;
    op.progress.bytesCopied = 300;
    assert.deepEqual((await ops.get(op.id, 'owner'))?.progress, { ...ZERO, blobsCopied: 2, bytesCopied: 300 });
    assert.equal(await ops.get(op.id, 'someone-else'), undefined);
    now += 5000;
    await ops.finish(op, { status: 'Failed', error: { code: 'SourceNotFound', message: 'gone' } });
    const record = await store.imports.get(op.id);
    assert.deepEqual([record?.status, record?.error, record?.progress, record?.endedAt], ['Failed', { code: 'SourceNotFound', message: 'gone' }, { ...ZERO, blobsCopied: 2, bytesCopied: 300 }, T0 + 5000]);
    assert.deepEqual(await ops.get(op.id, 'owner'), {
      id: op.id, ownerId: 'owner', source: 'reg.example.com/a:1', targets: ['a:1'], startedAt: T0, progress: record!.progress,
      status: 'Failed', error: record!.error, endedAt: T0 + 5000,
    }, 'read back from the store once finished');
  });

  it('reads another node\'s operation from the store, and ends it as interrupted once it has not been heard of for a minute', async () => {
    const live = await stored('node-b', T0);
    const ops = operations();
    now = T0 + STALE_AFTER_MS;
    assert.equal((await ops.get(live.id, 'owner'))?.status, 'InProgress', 'exactly a minute is not yet stale');
    now += 1;
    const ended = await ops.get(live.id, 'owner');
    assert.deepEqual([ended?.status, ended?.error, ended?.endedAt], ['Failed', INTERRUPTED, now]);
    assert.equal((await store.imports.get(live.id))?.status, 'Failed', 'written, not only shown');
  });

  it('at startup ends what this node left running and what is stale; on a single node, everything running', async () => {
    const mine = await stored('node-a', T0);
    const othersStale = await stored('node-b', T0 - STALE_AFTER_MS - 1);
    const othersLive = await stored('node-c', T0 - 1000);
    await operations('node-a').recover(false);
    const status = async (id: string) => (await store.imports.get(id))?.status;
    assert.deepEqual([await status(mine.id), await status(othersStale.id), await status(othersLive.id)], ['Failed', 'Failed', 'InProgress']);
    assert.deepEqual((await store.imports.get(mine.id))?.error, INTERRUPTED);
    await operations('renamed-node').recover(true);
    assert.equal(await status(othersLive.id), 'Failed');
  });

  it('forgets finished operations after 7 days, when the next import starts', async () => {
    const ops = operations();
    const old = await ops.create('owner', 'reg.example.com/a:1', ['a:1']);
    await ops.finish(old, { status: 'Succeeded' });
    now = T0 + KEEP_FINISHED_MS;
    await ops.finish(await ops.create('owner', 'reg.example.com/a:1', ['a:1']), { status: 'Succeeded' });
    assert.equal((await ops.get(old.id, 'owner'))?.status, 'Succeeded', 'kept for exactly 7 days');
    now += 1;
    await ops.finish(await ops.create('owner', 'reg.example.com/a:1', ['a:1']), { status: 'Succeeded' });
    assert.equal(await ops.get(old.id, 'owner'), undefined);
  });
});
