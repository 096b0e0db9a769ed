import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { it } from 'node:test';
import { forEachBackend } from '../helpers/backends.ts';
import {
  MEDIA, descriptorOf, expectError, expectStatus, imageIndex, jsonOf, pushArtifact, pushImage, pushManifest, putManifest,
  type Content, type Registry,
} from '../helpers/oci.ts';
import { expectTrustError, getRole, getServerKey, initRepo, nextTargets, publishOk, type TrustRepo } from '../helpers/trust-api.ts';
import { expiresIn, generateKey, signFile, targetEntry, targetsSigned, type JsonObject } from '../helpers/tuf.ts';
import type { WharfInstance } from '../helpers/wharf.ts';

const CONFIRM = { 'x-wharf-confirm': 'delete-trust-data' };

interface PolicyView { status: string; type: string; repository?: string; repositories?: unknown[]; trustDataDeleted?: number }

async function setPolicy(wharf: WharfInstance, body: { status: string; repository?: string }, confirm = false): Promise<Response> {
  return wharf.fetch('/api/registry/contentTrust', {
    method: 'PATCH',
    headers: { 'content-type': 'application/json', ...(confirm ? CONFIRM : {}) },
    body: JSON.stringify(body),
  }) as unknown as Promise<Response>;
}

async function policyOk(wharf: WharfInstance, body: { status: string; repository?: string }, confirm = false): Promise<PolicyView> {
  return jsonOf<PolicyView>(await setPolicy(wharf, body, confirm) as never);
}

function repoName(prefix: string): string {
  return `${prefix}/r${randomBytes(4).toString('hex')}`;
}

/** Signs `tags` (tag → manifest) in the repository's top-level targets, the way docker does without delegations. */
async function sign(repo: TrustRepo, tags: Record<string, Content>, extra: JsonObject = {}): Promise<void> {
  const targets: Record<string, JsonObject> = {};
  for (const [tag, manifest] of Object.entries(tags)) targets[tag] = targetEntry(manifest.bytes);
  repo.targets = nextTargets(repo, { targets: { ...targets, ...(extra as Record<string, JsonObject>) } });
  await publishOk(repo.server, repo.gun, [repo.targets]);
}

async function manifestDigest(reg: Registry, repo: string, reference: string, method = 'GET'): Promise<string | null> {
  const res = await reg.fetch(`/v2/${repo}/manifests/${reference}`, { method, headers: { accept: `${MEDIA.ociManifest}, ${MEDIA.ociIndex}` } });
  await expectStatus(res, 200);
  return res.headers.get('docker-content-digest');
}

async function expectNotSigned(reg: Registry, path: string): Promise<void> {
  const res = await reg.fetch(path, { headers: { accept: `${MEDIA.ociManifest}, ${MEDIA.ociIndex}` } });
  const text = await res.text();
  assert.equal(res.status, 404, text);
  const error = (JSON.parse(text) as { errors: { code: string; message: string; detail: { reason: string } }[] }).errors[0]!;
  assert.equal(error.code, 'MANIFEST_UNKNOWN');
  assert.deepEqual(error.detail.reason, 'content trust policy: not signed');
  assert.match(error.message, /content trust policy \(enforced\)/);
  const head = await reg.fetch(path, { method: 'HEAD' });
  assert.equal(head.status, 404);
}

forEachBackend('content trust policy', (ctx) => {
  it('is disabled by default: every trust route answers METADATA_NOT_FOUND naming the policy, and nothing is stored', async () => {
    const registry = ctx.registry;
    const show = await jsonOf<{ policies: { trustPolicy: PolicyView } }>(await registry.fetch('/api/registry'));
    assert.deepEqual(show.policies.trustPolicy, { status: 'disabled', type: 'Notary' });
    assert.deepEqual(await jsonOf(await registry.fetch('/api/registry/contentTrust')), { status: 'disabled', type: 'Notary' });
    const gun = `${registry.host}/${repoName('off')}`;
    for (const [method, rest] of [['GET', 'root.json'], ['GET', 'timestamp.key'], ['POST', ''], ['DELETE', '']] as const) {
      const res = await registry.fetch(`/v2/${gun}/_trust/tuf/${rest}`, { method, ...(method === 'POST' && { body: 'x', headers: { 'content-type': 'multipart/form-data; boundary=b' } }) });
      const err = await expectTrustError(res as never, 404, 'METADATA_NOT_FOUND');
      assert.match(err.message, /content trust is disabled .* content trust policy.*wharf config content-trust update -n \S+ --status enabled/);
    }
    const feed = await registry.fetch('/v2/_trust/changefeed?records=10');
    await expectTrustError(feed as never, 404, 'METADATA_NOT_FOUND');
    // The GET of timestamp.key above created no server key: enabling starts empty.
    await policyOk(registry, { status: 'enabled' });
    await expectTrustError(await getRole(registry, gun, 'root') as never, 404, 'METADATA_NOT_FOUND', { detail: {} });
  });

  it('enabled: the trust API works and serving is unchanged (signed and unsigned tags pullable, all tags listed)', async () => {
    const registry = ctx.registry;
    assert.equal((await policyOk(registry, { status: 'enabled' })).status, 'enabled');
    const repo = repoName('on');
    const signed = await pushImage(registry, repo, { reference: 'signed' });
    const unsigned = await pushImage(registry, repo, { reference: 'unsigned' });
    const trust = await initRepo(registry, `${registry.host}/${repo}`);
    await sign(trust, { signed: signed.manifest });
    assert.equal(await manifestDigest(registry, repo, 'unsigned'), unsigned.manifest.digest);
    assert.equal(await manifestDigest(registry, repo, 'signed'), signed.manifest.digest);
    const tags = await jsonOf<{ tags: string[] }>(await registry.fetch(`/v2/${repo}/tags/list`));
    assert.deepEqual(tags.tags, ['signed', 'unsigned']);
  });

  it('enforced: a tag serves its signed digest even after an unsigned move; unsigned tags and digests are refused; pushes land', async () => {
    const registry = ctx.registry;
    await policyOk(registry, { status: 'enforced' });
    const repo = repoName('enf');
    const first = await pushImage(registry, repo, { reference: 'v1' });
    const unsignedTag = await pushImage(registry, repo, { reference: 'v2' });
    const trust = await initRepo(registry, `${registry.host}/${repo}`);
    await expectNotSigned(registry, `/v2/${repo}/manifests/v1`);
    await sign(trust, { v1: first.manifest });
    assert.equal(await manifestDigest(registry, repo, 'v1'), first.manifest.digest);
    assert.equal(await manifestDigest(registry, repo, 'v1', 'HEAD'), first.manifest.digest);
    // Moved by an unsigned push (which lands: 201): the signed digest is still what the tag serves.
    const moved = await pushImage(registry, repo, { reference: 'v1' });
    assert.equal(await manifestDigest(registry, repo, 'v1'), first.manifest.digest);
    await expectNotSigned(registry, `/v2/${repo}/manifests/v2`);
    await expectNotSigned(registry, `/v2/${repo}/manifests/${moved.manifest.digest}`);
    await expectNotSigned(registry, `/v2/${repo}/manifests/${unsignedTag.manifest.digest}`);
    assert.equal(await manifestDigest(registry, repo, first.manifest.digest), first.manifest.digest);
    // Blobs are not gated (reachable only through a manifest).
    await expectStatus(await registry.fetch(`/v2/${repo}/blobs/${moved.config.digest}`), 200);
    const tags = await jsonOf<{ tags: string[] }>(await registry.fetch(`/v2/${repo}/tags/list`));
    assert.deepEqual(tags.tags, ['v1']);
  });

  it('enforced: children of a signed index and referrers of servable manifests are served, others not', async () => {
    const registry = ctx.registry;
    const repo = repoName('enf-index');
    const amd = await pushImage(registry, repo);
    const arm = await pushImage(registry, repo);
    const index = imageIndex([descriptorOf(amd.manifest), descriptorOf(arm.manifest)]);
    await pushManifest(registry, repo, 'multi', index);
    const stray = await pushImage(registry, repo);
    const signature = await pushArtifact(registry, repo, descriptorOf(amd.manifest), { artifactType: 'application/vnd.example.sig' });
    const onSignature = await pushArtifact(registry, repo, descriptorOf(signature.manifest), { artifactType: 'application/vnd.example.sig' });
    const strayReferrer = await pushArtifact(registry, repo, descriptorOf(stray.manifest), { artifactType: 'application/vnd.example.sig' });
    const trust = await initRepo(registry, `${registry.host}/${repo}`);
    await sign(trust, { multi: index });
    assert.equal(await manifestDigest(registry, repo, 'multi'), index.digest);
    for (const served of [amd, arm]) assert.equal(await manifestDigest(registry, repo, served.manifest.digest), served.manifest.digest);
    assert.equal(await manifestDigest(registry, repo, signature.manifest.digest), signature.manifest.digest);
    assert.equal(await manifestDigest(registry, repo, onSignature.manifest.digest), onSignature.manifest.digest);
    await expectNotSigned(registry, `/v2/${repo}/manifests/${stray.manifest.digest}`);
    await expectNotSigned(registry, `/v2/${repo}/manifests/${strayReferrer.manifest.digest}`);
    const referrers = await jsonOf<{ manifests: { digest: string }[] }>(await registry.fetch(`/v2/${repo}/referrers/${amd.manifest.digest}`));
    assert.deepEqual(referrers.manifests.map((m) => m.digest), [signature.manifest.digest]);
    await expectError(await registry.fetch(`/v2/${repo}/referrers/${stray.manifest.digest}`), 404, 'MANIFEST_UNKNOWN');
  });

  it('enforced: targets/releases wins over targets, and an expired role signs nothing', async () => {
    const registry = ctx.registry;
    const repo = repoName('enf-rel');
    const a = await pushImage(registry, repo, { reference: 'a' });
    const b = await pushImage(registry, repo, { reference: 'b' });
    const trust = await initRepo(registry, `${registry.host}/${repo}`);
    const releasesKey = generateKey('ecdsa');
    trust.targets = nextTargets(trust, { targets: { v: targetEntry(a.manifest.bytes) }, delegations: [{ name: 'targets/releases', keys: [releasesKey] }] });
    const releases = signFile('targets/releases', targetsSigned({ version: 1, targets: { v: targetEntry(b.manifest.bytes) } }), [releasesKey]);
    await publishOk(registry, trust.gun, [trust.targets, releases]);
    assert.equal(await manifestDigest(registry, repo, 'v'), b.manifest.digest);
    // A targets role that expires in two seconds: served until then, refused after.
    trust.targets = signFile('targets', targetsSigned({ version: trust.targets.version + 1, targets: { v: targetEntry(a.manifest.bytes) }, expires: expiresIn(2_000) }), [trust.targetsKey]);
    await publishOk(registry, trust.gun, [trust.targets]);
    assert.equal(await manifestDigest(registry, repo, 'v'), a.manifest.digest);
    await new Promise((r) => setTimeout(r, 2_500));
    await expectNotSigned(registry, `/v2/${repo}/manifests/v`);
  });

  it('per-repository overrides: the most specific pattern wins; inherit removes one; show reports them', async () => {
    const registry = ctx.registry;
    await policyOk(registry, { status: 'enabled' });
    const prefix = `ovr${randomBytes(3).toString('hex')}`;
    await policyOk(registry, { status: 'enforced', repository: `${prefix}/*` });
    await policyOk(registry, { status: 'enabled', repository: `${prefix}/open` });
    const strict = `${prefix}/strict`;
    await pushImage(registry, strict, { reference: 'v1' });
    await expectNotSigned(registry, `/v2/${strict}/manifests/v1`);
    const open = await pushImage(registry, `${prefix}/open`, { reference: 'v1' });
    assert.equal(await manifestDigest(registry, `${prefix}/open`, 'v1'), open.manifest.digest);
    const other = repoName('plain');
    const plain = await pushImage(registry, other, { reference: 'v1' });
    assert.equal(await manifestDigest(registry, other, 'v1'), plain.manifest.digest);
    const shown = await jsonOf<PolicyView>(await registry.fetch(`/api/registry/contentTrust?repository=${encodeURIComponent(strict)}`));
    assert.deepEqual(shown, { repository: strict, status: 'enforced', type: 'Notary' });
    const all = await jsonOf<PolicyView>(await registry.fetch('/api/registry/contentTrust'));
    assert.deepEqual(all.repositories, [{ repository: `${prefix}/*`, status: 'enforced' }, { repository: `${prefix}/open`, status: 'enabled' }]);
    // An override to disabled turns the trust API off for those repositories only.
    const disabled = await setPolicy(registry, { status: 'disabled', repository: `${prefix}/*` });
    assert.equal(disabled.status, 409);
    await policyOk(registry, { status: 'disabled', repository: `${prefix}/*` }, true);
    await expectTrustError(await getRole(registry, `${registry.host}/${strict}`, 'root') as never, 404, 'METADATA_NOT_FOUND');
    const openKey = await registry.fetch(`/v2/${registry.host}/${prefix}/open/_trust/tuf/timestamp.key`);
    await expectStatus(openKey as never, 200);
    await policyOk(registry, { status: 'inherit', repository: `${prefix}/*` });
    await policyOk(registry, { status: 'inherit', repository: `${prefix}/open` });
    assert.equal((await jsonOf<PolicyView>(await registry.fetch('/api/registry/contentTrust'))).repositories, undefined);
    const badPattern = await setPolicy(registry, { status: 'enabled', repository: 'a*b' });
    assert.equal(badPattern.status, 400);
  });

  it('per-repository reset deletes that repository\'s trust data and server keys only, with confirmation', async () => {
    const registry = ctx.registry;
    await policyOk(registry, { status: 'enabled' });
    const [one, two] = [repoName('reset'), repoName('reset')];
    const trustOne = await initRepo(registry, `${registry.host}/${one}`);
    await initRepo(registry, `${registry.host}/${two}`);
    const reset = (confirm: boolean) => registry.fetch('/api/registry/contentTrust/reset', {
      method: 'POST', headers: { 'content-type': 'application/json', ...(confirm ? CONFIRM : {}) }, body: JSON.stringify({ repository: one }),
    });
    const refused = await reset(false);
    assert.equal(refused.status, 409);
    assert.equal((await jsonOf<{ error: { code: string } }>(refused, 409)).error.code, 'ContentTrustDisableNotConfirmed');
    await expectStatus(await getRole(registry, trustOne.gun, 'root') as never, 200);
    assert.deepEqual(await jsonOf(await reset(true)), { repository: one, trustDataDeleted: true });
    await expectTrustError(await getRole(registry, trustOne.gun, 'root') as never, 404, 'METADATA_NOT_FOUND');
    await expectStatus(await getRole(registry, `${registry.host}/${two}`, 'root') as never, 200);
    // The server keys went too: a new one is made.
    const newKey = await getServerKey(registry, trustOne.gun, 'timestamp');
    assert.notEqual(newKey.id, trustOne.serverTimestampKey.id);
    assert.deepEqual(await jsonOf(await reset(true)), { repository: one, trustDataDeleted: false });
  });

  it('disabling needs confirmation, then deletes every repository\'s trust data and keeps every image', async () => {
    const registry = ctx.registry;
    await policyOk(registry, { status: 'enforced' });
    const repo = repoName('wipe');
    const image = await pushImage(registry, repo, { reference: 'v1' });
    const trust = await initRepo(registry, `${registry.host}/${repo}`);
    await sign(trust, { v1: image.manifest });
    const unconfirmed = await setPolicy(registry, { status: 'disabled' });
    assert.equal((await jsonOf<{ error: { code: string } }>(unconfirmed as never, 409)).error.code, 'ContentTrustDisableNotConfirmed');
    const viaRegistry = await registry.fetch('/api/registry', {
      method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ properties: { policies: { trustPolicy: { status: 'disabled' } } } }),
    });
    assert.equal(viaRegistry.status, 409);
    assert.equal((await jsonOf<PolicyView>(await registry.fetch('/api/registry/contentTrust'))).status, 'enforced');
    assert.equal(await manifestDigest(registry, repo, 'v1'), image.manifest.digest);
    const done = await registry.fetch('/api/registry', {
      method: 'PATCH', headers: { 'content-type': 'application/json', ...CONFIRM }, body: JSON.stringify({ properties: { policies: { trustPolicy: { status: 'disabled' } } } }),
    });
    const deleted = Number(done.headers.get('x-wharf-trust-data-deleted'));
    const shown = await jsonOf<{ policies: { trustPolicy: PolicyView } }>(done);
    assert.deepEqual(shown.policies.trustPolicy, { status: 'disabled', type: 'Notary' });
    assert.ok(deleted >= 1, `trust data deleted: ${deleted}`);
    // Images stay, served as usual (the policy is disabled).
    assert.equal(await manifestDigest(registry, repo, 'v1'), image.manifest.digest);
    await policyOk(registry, { status: 'enabled' });
    await expectTrustError(await getRole(registry, trust.gun, 'root') as never, 404, 'METADATA_NOT_FOUND');
    const changes = await jsonOf<{ records: { GUN: string; Category: string }[] }>(await registry.fetch(`/v2/${trust.gun}/_trust/changefeed?records=-10&change_id=-1`));
    assert.equal(changes.records.at(-1)?.Category, 'deletion');
    const unsignedPush = await putManifest(registry, repo, 'v2', image.manifest);
    await expectStatus(unsignedPush, 201);
  });
});
