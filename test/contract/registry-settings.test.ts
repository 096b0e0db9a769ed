import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { it } from 'node:test';
import { forEachStore, forTwoPostgresNodes } from '../helpers/metadata-drivers.ts';

const initial = (extra: { name?: string; anonymousPullEnabled?: boolean } = {}) => ({
  installationId: randomUUID(),
  name: extra.name ?? 'myreg',
  anonymousPullEnabled: extra.anonymousPullEnabled ?? false,
});

/** Waits for the clock to move on, so that updatedAt differs from createdAt. */
async function tick(): Promise<void> {
  const start = Date.now();
  while (Date.now() === start) await yieldToLoop();
}

forEachStore('RegistrySettingsStore', (store) => {

  it('has no record before the first start, and update then writes nothing', async () => {
    assert.equal(await store.settings.get(), undefined);
    assert.equal(await store.settings.update({ anonymousPullEnabled: true }), undefined);
    assert.equal(await store.settings.get(), undefined);
  });

  it('creates the record once from the first initial values and keeps it on later starts', async () => {
    const before = Date.now();
    const first = initial({ anonymousPullEnabled: true });
    const made = await store.settings.ensure(first);
    assert.deepEqual({ ...made, createdAt: 0, updatedAt: 0 }, { ...first, createdAt: 0, updatedAt: 0 });
    assert.ok(made.createdAt >= before && made.createdAt <= Date.now());
    assert.equal(made.updatedAt, made.createdAt);
    assert.equal(made.trustPolicy, undefined);
    const again = await store.settings.ensure(initial({ name: 'other', anonymousPullEnabled: false }));
    assert.deepEqual(again, made);
    assert.deepEqual(await store.settings.get(), made);
  });

  it('agrees on one record when several first starts race', async () => {
    const records = await Promise.all([1, 2, 3, 4].map(() => store.settings.ensure(initial())));
    for (const record of records) assert.deepEqual(record, records[0]);
  });

  it('changes only the given settings and updatedAt', async () => {
    const made = await store.settings.ensure(initial());
    await tick();
    const changed = await store.settings.update({ anonymousPullEnabled: true });
    assert.ok(changed);
    assert.equal(changed.anonymousPullEnabled, true);
    assert.ok(changed.updatedAt > made.createdAt);
    assert.deepEqual({ ...changed, anonymousPullEnabled: false, updatedAt: 0 }, { ...made, updatedAt: 0 });
    const policy = JSON.stringify({ status: 'enforced', type: 'Notary' });
    const withPolicy = await store.settings.update({ trustPolicy: policy });
    assert.equal(withPolicy?.trustPolicy, policy);
    assert.equal(withPolicy?.anonymousPullEnabled, true);
    assert.deepEqual(await store.settings.get(), withPolicy);
    const unchanged = await store.settings.update({});
    assert.equal(unchanged?.trustPolicy, policy);
  });
});

forTwoPostgresNodes('registry settings from two nodes', (nodes) => {

  it('converges on one record, and a change made on one node is read on the other', async () => {
    const records = await Promise.all([nodes.a, nodes.b, nodes.a, nodes.b].map((n) => n.settings.ensure(initial())));
    for (const record of records) assert.deepEqual(record, records[0]);
    await nodes.a.settings.update({ anonymousPullEnabled: true });
    assert.equal((await nodes.b.settings.get())?.anonymousPullEnabled, true);
  });
});
