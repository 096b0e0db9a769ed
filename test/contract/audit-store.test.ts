import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { it } from 'node:test';
import { GENESIS_HASH, hashAuditRecord, stableJson } from '../../src/events/audit-hash.ts';
import { verifyAuditChain } from '../../src/events/audit-verify.ts';
import type { MetadataStore, NewAuditEvent, NewWebhook } from '../../src/storage/metadata-store.ts';
import { forEachStore, forTwoPostgresNodes } from '../helpers/metadata-drivers.ts';

const event = (action: string, extra: Partial<NewAuditEvent> = {}): NewAuditEvent => ({
  action, actor: 'alice', repository: 'team/app', subject: 'sha256:' + 'a'.repeat(64), detail: { tag: 'v1', size: 1234 }, time: 1_700_000_000_000, ...extra,
});

const hook = (name: string, extra: Partial<NewWebhook> = {}): NewWebhook => ({
  name, uri: 'https://receiver.example/hook', actions: ['push'], scope: '', status: 'enabled', sealedSecret: Buffer.from('sealed'), ...extra,
});

forEachStore('AuditLog', (store) => {

  it('starts empty with the genesis head and a valid chain', async () => {
    assert.deepEqual(await store.audit.head(), { seq: 0, hash: GENESIS_HASH });
    assert.deepEqual(await store.audit.query({ limit: 10 }), []);
    assert.deepEqual(await verifyAuditChain(store.audit), { isValid: true, records: 0, headSeq: 0, headHash: GENESIS_HASH });
  });

  it('numbers records from 1 and links each to the previous hash, as docs/audit.md says an auditor recomputes it', async () => {
    const [first, second] = await store.audit.append([event('image.pushed'), event('tag.moved', { detail: { previousDigest: 'sha256:x', tag: 'v1' } })]);
    assert.equal(first!.seq, 1);
    assert.equal(first!.prevHash, GENESIS_HASH);
    // The documented recipe, written out independently of the implementation.
    const text = `{"action":"image.pushed","actor":"alice","detail":{"size":1234,"tag":"v1"},"prevHash":"${GENESIS_HASH}","repository":"team/app","seq":1,"subject":"sha256:${'a'.repeat(64)}","time":1700000000000}`;
    assert.equal(first!.hash, createHash('sha256').update(text).digest('hex'));
    assert.equal(second!.seq, 2);
    assert.equal(second!.prevHash, first!.hash);
    const [third] = await store.audit.append([event('image.deleted')]);
    assert.equal(third!.prevHash, second!.hash);
    assert.deepEqual(await store.audit.head(), { seq: 3, hash: third!.hash });
    assert.deepEqual(await store.audit.range(1, 10), [second, third]);
    assert.equal((await verifyAuditChain(store.audit)).isValid, true);
  });

  it('keeps details as given, in canonical form, and refuses what has no canonical form', async () => {
    const detail = { z: [1, 'two', true, null], a: { nested: 'ünïcode\n' } };
    const [record] = await store.audit.append([event('policy.changed', { detail })]);
    assert.deepEqual((await store.audit.query({ limit: 1 }))[0], record);
    assert.equal(stableJson(record!.detail), '{"a":{"nested":"ünïcode\\n"},"z":[1,"two",true,null]}');
    assert.equal(hashAuditRecord(record!), record!.hash);
    await assert.rejects(store.audit.append([event('x', { detail: { ratio: 0.5 } })]));
    assert.equal((await store.audit.head()).seq, 1);
  });

  it('filters by action (exact or prefix), repository, actor and time, newest first, and pages backwards', async () => {
    await store.audit.append([
      event('image.pushed', { time: 1000 }),
      event('image.deleted', { time: 2000, repository: 'other' }),
      event('role.assigned', { time: 3000, actor: 'bob', repository: '' }),
      event('image.pushed', { time: 4000 }),
      event('imagery.odd', { time: 5000 }),
    ]);
    const seqs = async (q: Parameters<MetadataStore['audit']['query']>[0]) => (await store.audit.query(q)).map((r) => r.seq);
    assert.deepEqual(await seqs({ limit: 10 }), [5, 4, 3, 2, 1]);
    assert.deepEqual(await seqs({ action: 'image.pushed', limit: 10 }), [4, 1]);
    assert.deepEqual(await seqs({ action: 'image.', limit: 10 }), [4, 2, 1]);
    assert.deepEqual(await seqs({ repository: 'team/app', limit: 10 }), [5, 4, 1]);
    assert.deepEqual(await seqs({ actor: 'bob', limit: 10 }), [3]);
    assert.deepEqual(await seqs({ since: 2000, until: 4000, limit: 10 }), [4, 3, 2]);
    assert.deepEqual(await seqs({ limit: 2 }), [5, 4]);
    assert.deepEqual(await seqs({ beforeSeq: 4, limit: 2 }), [3, 2]);
  });

  it('writes the deliveries fanOut asks for in the append, and none when the append fails', async () => {
    await store.webhooks.create(hook('hookone'));
    await store.audit.append([event('image.pushed'), event('role.assigned')], (r) =>
      r.action === 'image.pushed' ? [{ webhook: 'HookOne', eventId: String(r.seq), eventType: `io.wharf.${r.action}`, payload: `{"seq":${r.seq}}` }] : []);
    const deliveries = await store.webhooks.deliveries('hookone', 10);
    assert.equal(deliveries.length, 1);
    assert.deepEqual({ ...deliveries[0]!, id: 0, createdAt: 0, updatedAt: 0, nextAttemptAt: 0 }, {
      id: 0, webhook: 'hookone', eventId: '1', eventType: 'io.wharf.image.pushed', payload: '{"seq":1}', status: 'pending', attempts: [], createdAt: 0, updatedAt: 0, nextAttemptAt: 0,
    });
    await assert.rejects(store.audit.append([event('image.pushed')], () => [{ webhook: 'nosuchhook', eventId: 'x', eventType: 't', payload: '{}' }]));
    assert.equal((await store.audit.head()).seq, 2);
    assert.equal((await store.webhooks.deliveries('hookone', 10)).length, 1);
  });
});

forEachStore('WebhookStore', (store) => {

  it('creates, finds case-insensitively, lists by name, refuses a taken name and deletes with its deliveries', async () => {
    const made = await store.webhooks.create(hook('Zebra01', { actions: ['push', 'delete'], scope: 'team/*', sealedHeaders: Buffer.from('h') }));
    assert.deepEqual(made.actions, ['push', 'delete']);
    assert.deepEqual(made.sealedHeaders, Buffer.from('h'));
    await store.webhooks.create(hook('alpha01'));
    await assert.rejects(store.webhooks.create(hook('ZEBRA01')), { code: 'CONFLICT' });
    assert.deepEqual(await store.webhooks.get('zebra01'), made);
    assert.deepEqual((await store.webhooks.list()).map((w) => w.name), ['alpha01', 'Zebra01']);
    await store.webhooks.enqueue({ webhook: 'zebra01', eventId: 'e1', eventType: 'io.wharf.ping', payload: '{}' });
    assert.equal(await store.webhooks.delete('zebra01'), true);
    assert.equal(await store.webhooks.delete('zebra01'), false);
    assert.equal(await store.webhooks.get('Zebra01'), undefined);
    assert.deepEqual(await store.webhooks.deliveries('zebra01', 10), []);
  });

  it('updates only the fields given, case-insensitively, removes the headers with null, and answers undefined for an absent webhook', async () => {
    const made = await store.webhooks.create(hook('Patch01', { scope: 'team/*', sealedHeaders: Buffer.from('h') }));
    await store.webhooks.enqueue({ webhook: 'patch01', eventId: 'e1', eventType: 'io.wharf.ping', payload: '{}' });
    const changed = await store.webhooks.update('PATCH01', { uri: 'https://other.example/h', actions: ['delete', 'sign'], status: 'disabled' });
    assert.deepEqual({ ...changed, updatedAt: 0 }, { ...made, uri: 'https://other.example/h', actions: ['delete', 'sign'], status: 'disabled', updatedAt: 0 });
    assert.ok(changed!.updatedAt >= made.updatedAt);
    const again = await store.webhooks.update('patch01', { scope: '', sealedSecret: Buffer.from('new'), sealedHeaders: null });
    assert.deepEqual([again!.scope, again!.sealedSecret, again!.sealedHeaders, again!.uri], ['', Buffer.from('new'), undefined, 'https://other.example/h']);
    assert.deepEqual(await store.webhooks.get('patch01'), again);
    assert.equal((await store.webhooks.deliveries('patch01', 10)).length, 1, 'its deliveries stay');
    assert.equal(await store.webhooks.update('nosuch01', { status: 'enabled' }), undefined);
    assert.equal(await store.webhooks.get('nosuch01'), undefined);
  });

  it('claims a due delivery once until its lease ends, and settles attempts in order', async () => {
    await store.webhooks.create(hook('claims01'));
    const queued = await store.webhooks.enqueue({ webhook: 'claims01', eventId: 'e1', eventType: 'io.wharf.ping', payload: '{"a":1}' });
    const now = queued.nextAttemptAt;
    const [first, second] = await Promise.all([store.webhooks.claim(now, 30_000, 10), store.webhooks.claim(now, 30_000, 10)]);
    assert.equal(first!.length + second!.length, 1, 'exactly one claimer gets it');
    assert.deepEqual(await store.webhooks.claim(now + 1000, 30_000, 10), []);
    await store.webhooks.settle(queued.id, { at: now, ms: 5, statusCode: 500 }, { status: 'pending', nextAttemptAt: now + 2000 });
    assert.deepEqual(await store.webhooks.claim(now + 1999, 30_000, 10), []);
    const again = await store.webhooks.claim(now + 2000, 30_000, 10);
    assert.deepEqual(again.map((d) => d.attempts), [[{ at: now, ms: 5, statusCode: 500 }]]);
    await store.webhooks.settle(queued.id, { at: now + 2000, ms: 3, statusCode: 200 }, { status: 'delivered' });
    const [done] = await store.webhooks.deliveries('claims01', 10);
    assert.equal(done!.status, 'delivered');
    assert.deepEqual(done!.attempts.map((a) => a.statusCode), [500, 200]);
    assert.deepEqual(await store.webhooks.claim(now + 100_000, 30_000, 10), []);
    // A claim that a dead node never settled expires.
    const orphan = await store.webhooks.enqueue({ webhook: 'claims01', eventId: 'e2', eventType: 'io.wharf.ping', payload: '{}' });
    assert.equal((await store.webhooks.claim(orphan.nextAttemptAt, 1000, 10)).length, 1);
    assert.equal((await store.webhooks.claim(orphan.nextAttemptAt + 1000, 1000, 10)).length, 1);
  });
});

forTwoPostgresNodes('audit appends from two nodes', (nodes) => {

  it('keeps one linear chain when both append concurrently', async () => {
    const appends = Array.from({ length: 40 }, (_, i) => [nodes.a, nodes.b][i % 2]!.audit.append([event(`test.n${i % 2}`), event('test.pair')]));
    await Promise.all(appends);
    const verdict = await verifyAuditChain(nodes.b.audit);
    assert.deepEqual({ isValid: verdict.isValid, records: verdict.records, headSeq: verdict.headSeq }, { isValid: true, records: 80, headSeq: 80 });
  });
});
