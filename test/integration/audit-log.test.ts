import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { it } from 'node:test';
import { as, basic } from '../helpers/auth-fixtures.ts';
import { auditList, rawSql, waitForAudit, type AuditRecordJson } from '../helpers/audit.ts';
import { forEachBackend } from '../helpers/backends.ts';
import { expectStatus, pushBlob, pushImage, randomBlob, uniqueRepo } from '../helpers/oci.ts';
import type { WharfInstance } from '../helpers/wharf.ts';

/** The documented recipe (docs/audit.md): sha256 over sorted-key compact JSON of every field but the hash, time in ms. */
function recompute(r: AuditRecordJson): string {
  const sorted = (v: unknown): unknown => Array.isArray(v) ? v.map(sorted) : v && typeof v === 'object'
    ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted((v as Record<string, unknown>)[k])])) : v;
  const { hash: _hash, time, ...rest } = r;
  return createHash('sha256').update(JSON.stringify(sorted({ ...rest, time: Date.parse(time) }))).digest('hex');
}

async function api(wharf: WharfInstance, method: string, path: string, body?: unknown, auth?: string) {
  const headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
  if (auth) headers.authorization = auth;
  const res = await wharf.fetch(path, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
}

async function verify(wharf: WharfInstance) {
  const res = await api(wharf, 'POST', '/api/audit/verify');
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body as { isValid: boolean; records: number; headSeq: number; headHash: string; firstInvalidSeq?: number; problem?: string };
}

forEachBackend('audit log', (backend) => {
  it('records pushes, tag moves and deletes with the actor, repository and digests', async () => {
    const registry = backend.registry;
    const repo = uniqueRepo('audit/push');
    const first = await pushImage(registry, repo, { reference: 'v1' });
    const pushed = await waitForAudit(registry, { repository: repo, action: 'image.pushed' }, () => true);
    assert.deepEqual({ ...pushed, seq: 0, time: '', prevHash: '', hash: '' }, {
      seq: 0, time: '', prevHash: '', hash: '', action: 'image.pushed', actor: 'owner', repository: repo, subject: first.manifest.digest,
      detail: { tag: 'v1', size: first.manifest.bytes.length, mediaType: first.manifest.mediaType },
    });
    const second = await pushImage(registry, repo, { reference: 'v1' });
    const moved = await waitForAudit(registry, { repository: repo, action: 'tag.moved' }, () => true);
    assert.equal(moved.subject, second.manifest.digest);
    assert.equal(moved.detail.previousDigest, first.manifest.digest);
    await expectStatus(await registry.fetch(`/v2/${repo}/manifests/${first.manifest.digest}`, { method: 'DELETE' }), 202);
    await waitForAudit(registry, { repository: repo, action: 'image.deleted' }, (r) => r.subject === first.manifest.digest && r.actor === 'owner');
    const blob = randomBlob();
    const digest = await pushBlob(registry, repo, blob);
    await expectStatus(await registry.fetch(`/v2/${repo}/blobs/${digest}`, { method: 'DELETE' }), 202);
    await waitForAudit(registry, { repository: repo, action: 'blob.deleted' }, (r) => r.subject === digest);
    const all = await auditList(registry, { repository: repo, action: 'image.', top: '10' });
    assert.deepEqual(all.map((r) => r.action), ['image.deleted', 'image.pushed']);
  });

  it('records untags and repository deletes made through /acr/v1', async () => {
    const registry = backend.registry;
    const repo = uniqueRepo('audit/acr');
    await pushImage(registry, repo, { reference: 'v1' });
    await pushImage(registry, repo, { reference: 'v2' });
    await expectStatus(await registry.fetch(`/acr/v1/${repo}/_tags/v1`, { method: 'DELETE' }), 202);
    const untagged = await waitForAudit(registry, { repository: repo, action: 'tag.deleted' }, (r) => r.subject === 'v1');
    assert.deepEqual([untagged.actor, untagged.detail], ['owner', { tag: 'v1' }]);
    await expectStatus(await registry.fetch(`/acr/v1/${repo}`, { method: 'DELETE' }), 202);
    const deleted = await waitForAudit(registry, { repository: repo, action: 'repository.deleted' }, () => true);
    assert.deepEqual([deleted.actor, deleted.subject, deleted.detail], ['owner', repo, { manifests: 2, tags: 1 }]);
  });

  it('records access changes made through /api, never with a password, and refused requests as request.denied', async () => {
    const registry = backend.registry;
    const { body: reg } = await api(registry, 'GET', '/api/registry');
    const name = `audit-${Date.now()}@example.com`;
    assert.equal((await api(registry, 'POST', '/api/users', { userPrincipalName: name, password: 'Secret-Passw0rd-xyz' })).status, 201);
    const created = await waitForAudit(registry, { action: 'user.created' }, (r) => r.subject === name);
    assert.equal(created.actor, 'owner');
    assert.equal(JSON.stringify(created).includes('Secret-Passw0rd-xyz'), false);
    assert.equal(created.detail.passwordGiven, true);
    const assigned = await api(registry, 'POST', '/api/roleAssignments', { role: 'AcrPull', scope: reg.id, assignee: name });
    assert.equal(assigned.status, 201, JSON.stringify(assigned.body));
    const role = await waitForAudit(registry, { action: 'role.assigned' }, (r) => r.subject === assigned.body.name);
    assert.deepEqual({ role: role.detail.role, scope: role.detail.scope, principalName: role.detail.principalName }, { role: 'AcrPull', scope: reg.id, principalName: name });

    // The management API refuses a Reader-less user: 403, recorded with who and what.
    const asUser = basic(name, 'Secret-Passw0rd-xyz');
    assert.equal((await api(registry, 'PATCH', '/api/registry', { anonymousPullEnabled: true }, asUser)).status, 403);
    const apiDenial = await waitForAudit(registry, { action: 'request.denied', actor: name }, (r) => r.detail.route === '/api/registry');
    assert.equal(apiDenial.detail.method, 'PATCH');
    // /v2: AcrPull may not push.
    const repo = uniqueRepo('audit/denied');
    await as(registry, asUser).fetch(`/v2/${repo}/blobs/uploads/`, { method: 'POST' });
    const denial = await waitForAudit(registry, { action: 'request.denied', actor: name }, (r) => r.repository === repo);
    assert.match(denial.detail.action, /push/);
  });

  it('verifies the chain, and fails verification when a record is edited or removed in the database', async () => {
    const registry = backend.registry;
    await pushImage(registry, uniqueRepo('audit/chain'), { reference: 'v1' });
    await waitForAudit(registry, { action: 'image.pushed' }, () => true);
    const valid = await verify(registry);
    assert.equal(valid.isValid, true, valid.problem);
    assert.ok(valid.records >= 3);
    assert.equal(valid.records, valid.headSeq);
    const records = await auditList(registry, { top: '1000' });
    for (const r of records) assert.equal(recompute(r), r.hash, `record ${r.seq} recomputes as documented`);
    assert.equal(records[0]!.hash, valid.headHash);

    // One in the middle: removing the newest is caught too, as a log shorter than its head.
    const target = records[Math.floor(records.length / 2)]!;
    const sql = await rawSql(registry);
    try {
      const original = await auditList(registry, { top: '1000' }).then((all) => all.find((r) => r.seq === target.seq)!);
      await sql.run('update audit_log set actor = $1 where seq = $2', ['mallory', target.seq]);
      const edited = await verify(registry);
      assert.equal(edited.isValid, false);
      assert.equal(edited.firstInvalidSeq, target.seq);
      assert.match(edited.problem!, /changed/);
      await sql.run('update audit_log set actor = $1 where seq = $2', [original.actor, target.seq]);
      assert.equal((await verify(registry)).isValid, true);

      await sql.run('delete from audit_log where seq = $1', [target.seq]);
      const removed = await verify(registry);
      assert.equal(removed.isValid, false);
      assert.equal(removed.firstInvalidSeq, target.seq);
      assert.match(removed.problem!, /missing/);
    } finally {
      await sql.close();
    }
  });

  it('answers filters it cannot read with 400 and refuses a caller without a role with 403', async () => {
    const registry = backend.registry;
    assert.equal((await api(registry, 'GET', '/api/audit?since=yesterday')).status, 400);
    assert.equal((await api(registry, 'GET', '/api/audit?top=0')).status, 400);
    assert.equal((await api(registry, 'GET', '/api/audit?colour=red')).status, 400);
    const name = `nobody-${Date.now()}@example.com`;
    assert.equal((await api(registry, 'POST', '/api/users', { userPrincipalName: name, password: 'Another-Passw0rd-1' })).status, 201);
    assert.equal((await api(registry, 'GET', '/api/audit', undefined, basic(name, 'Another-Passw0rd-1'))).status, 403);
    assert.equal((await api(registry, 'POST', '/api/audit/verify', undefined, basic(name, 'Another-Passw0rd-1'))).status, 403);
  });
});
