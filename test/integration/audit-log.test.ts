import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { it } from 'node:test';
import { as, basic, tokenFor } from '../helpers/auth-fixtures.ts';
import { auditList, rawSql, waitForAudit, type AuditRecordJson } from '../helpers/audit.ts';
import { api } from '../helpers/management-api.ts';
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

  it('records untags, attribute changes (locks) and repository deletes made through /acr/v1', async () => {
    const registry = backend.registry;
    const repo = uniqueRepo('audit/acr');
    await pushImage(registry, repo, { reference: 'v1' });
    await pushImage(registry, repo, { reference: 'v2' });
    await expectStatus(await registry.fetch(`/acr/v1/${repo}/_tags/v1`, { method: 'DELETE' }), 202);
    const untagged = await waitForAudit(registry, { repository: repo, action: 'tag.deleted' }, (r) => r.subject === 'v1');
    assert.deepEqual([untagged.actor, untagged.detail], ['owner', { tag: 'v1' }]);
    const patch = (path: string, body: object) =>
      registry.fetch(path, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    await expectStatus(await patch(`/acr/v1/${repo}/_tags/v2`, { readEnabled: false, listEnabled: false }), 200);
    const tagLocked = await waitForAudit(registry, { repository: repo, action: 'attributes.updated' }, (r) => r.subject === 'v2');
    assert.deepEqual([tagLocked.actor, tagLocked.detail], ['owner', { tag: 'v2', readEnabled: false, listEnabled: false }]);
    await expectStatus(await patch(`/acr/v1/${repo}`, { deleteEnabled: true }), 200);
    const repoChanged = await waitForAudit(registry, { repository: repo, action: 'attributes.updated' }, (r) => r.subject === repo);
    assert.deepEqual(repoChanged.detail, { deleteEnabled: true });
    await expectStatus(await patch(`/acr/v1/${repo}`, { bogus: true }), 400);
    await expectStatus(await registry.fetch(`/acr/v1/${repo}`, { method: 'DELETE' }), 202);
    const deleted = await waitForAudit(registry, { repository: repo, action: 'repository.deleted' }, () => true);
    const changes = await auditList(registry, { repository: repo, action: 'attributes.updated' });
    assert.equal(changes.length, 2, 'a refused PATCH records nothing');
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
    assert.equal(denial.detail.gun, undefined, 'only trust requests name a GUN');

    // Trust API: authorized on the GUN, recorded under the repository (wharf audit list --repository finds it), the GUN in detail.
    const trustRepo = uniqueRepo('audit/trust-denied');
    const gun = `${registry.host}/${trustRepo}`;
    const trustDenied = await as(registry, asUser).fetch(`/v2/${gun}/_trust/tuf/`, { method: 'DELETE' });
    assert.equal(trustDenied.status, 401, await trustDenied.text());
    const trustDenial = await waitForAudit(registry, { action: 'request.denied', repository: trustRepo }, () => true);
    assert.deepEqual([trustDenial.actor, trustDenial.repository, trustDenial.detail.gun, trustDenial.detail.resource, trustDenial.detail.method],
      [name, trustRepo, gun, `repository:${gun}`, 'DELETE']);
    assert.deepEqual(await auditList(registry, { action: 'request.denied', repository: gun }), [], 'no record names the GUN as its repository');
  });

  it('names the admin account and scoped tokens refused by /api in request.denied, with passwords and with access tokens', async () => {
    const registry = backend.registry;
    assert.equal((await api(registry, 'PATCH', '/api/registry', { adminUserEnabled: true })).status, 200);
    const { body: creds } = await api(registry, 'GET', '/api/registry/credentials');
    const tokenName = `audit-token-${backend.backend}`;
    const token = await api(registry, 'POST', '/api/tokens', { name: tokenName, scopeMap: '_repositories_admin' });
    assert.equal(token.status, 201, JSON.stringify(token.body));
    try {
      const admin = basic(creds.username, creds.passwords[0].value);
      const scoped = basic(tokenName, token.body.credentials.passwords[0].value);
      const repo = uniqueRepo('audit/api-denied');
      const cases = [
        { who: creds.username, auth: admin, route: '/api/registry' },
        { who: tokenName, auth: scoped, route: '/api/tokens' },
        { who: creds.username, auth: `Bearer ${await tokenFor(registry, admin, [`repository:${repo}:pull`])}`, route: '/api/users' },
        { who: tokenName, auth: `Bearer ${await tokenFor(registry, scoped, [`repository:${repo}:pull`])}`, route: '/api/scopeMaps' },
      ];
      for (const { auth, route } of cases) assert.equal((await api(registry, 'GET', route, undefined, auth)).status, 403, route);
      for (const { who, route } of cases) {
        const denied = await waitForAudit(registry, { action: 'request.denied', actor: who }, (r) => r.detail.route === route);
        assert.deepEqual([denied.actor, denied.detail.method], [who, 'GET']);
      }
    } finally {
      assert.equal((await api(registry, 'DELETE', `/api/tokens/${tokenName}`)).status, 204);
      assert.equal((await api(registry, 'PATCH', '/api/registry', { adminUserEnabled: false })).status, 200);
    }
    // Recorded after the answer: wait for it, so that the next test's chain head is not still moving.
    await waitForAudit(registry, { action: 'registry.updated' }, (r) => r.detail.adminUserEnabled === false);
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
