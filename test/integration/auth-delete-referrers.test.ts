import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { AccessSeed, as, AUTH_ENV, basic, OWNER, tokenFor } from '../helpers/auth-fixtures.ts';
import { forEachBackend } from '../helpers/backends.ts';
import { descriptorOf, expectStatus, pushArtifact, pushImage, uniqueRepo, type Registry } from '../helpers/oci.ts';
import type { WharfInstance } from '../helpers/wharf.ts';

// forEachBackend starts each Wharf with this process's environment: token authentication on, known owner.
Object.assign(process.env, AUTH_ENV);

const PASSWORD = 'referrer-test-password';

/**
 * DELETE /v2/<r>/manifests/<digest> of a manifest with a `subject` needs content/delete or, for the
 * referrer only, content/write (AcrPush, spec 3 footnote 3; spec 4). Through Bearer tokens as docker and
 * skopeo ask for them (`delete`, `*`) and through Basic; refusals leave the manifest in place.
 */
forEachBackend('deleting referrers (AcrPush deletes referrers only)', (ctx) => {
  let wharf: WharfInstance;
  let seed: AccessSeed;
  const owner = (): Registry => as(wharf, OWNER);

  before(async () => {
    wharf = ctx.registry;
    seed = await AccessSeed.open(wharf);
    await seed.user('pusher', PASSWORD, [{ role: 'AcrPush' }]);
    await seed.user('puller', PASSWORD, [{ role: 'AcrPull' }]);
    await seed.user('deleter', PASSWORD, [{ role: 'AcrDelete' }]);
    await seed.scopedToken('push-token', PASSWORD, [{ pattern: 'it/refs/*', actions: ['content/read', 'content/write'] }]);
  });
  after(async () => {
    await seed?.close();
  });

  /** An image with one referrer, pushed by the owner; the referrer is also tagged. */
  async function imageWithReferrer(): Promise<{ repo: string; image: string; referrer: string }> {
    const repo = uniqueRepo('refs/app');
    const image = await pushImage(owner(), repo, { reference: 'v1' });
    const { manifest } = await pushArtifact(owner(), repo, descriptorOf(image.manifest), { artifactType: 'application/vnd.example.sbom' });
    await expectStatus(await owner().fetch(`/v2/${repo}/manifests/sbom`, { method: 'PUT', headers: { 'content-type': manifest.mediaType }, body: manifest.bytes }), 201);
    return { repo, image: image.manifest.digest, referrer: manifest.digest };
  }

  async function exists(repo: string, reference: string): Promise<boolean> {
    const res = await owner().fetch(`/v2/${repo}/manifests/${reference}`, { method: 'HEAD' });
    return res.status === 200;
  }

  async function expectRefused(res: Awaited<ReturnType<Registry['fetch']>>, repo: string): Promise<void> {
    const text = await res.text();
    assert.equal(res.status, 401, text);
    assert.match(res.headers.get('www-authenticate') ?? '', new RegExp(`scope="repository:${repo}:delete",error="insufficient_scope"`));
    assert.equal((JSON.parse(text) as { errors: { code: string }[] }).errors[0]?.code, 'UNAUTHORIZED');
  }

  const callers = [
    { name: 'AcrPush with a Bearer token asked for delete', auth: async (repo: string) => `Bearer ${await tokenFor(wharf, basic('pusher', PASSWORD), [`repository:${repo}:delete`])}` },
    { name: 'AcrPush with a Bearer token asked for *', auth: async (repo: string) => `Bearer ${await tokenFor(wharf, basic('pusher', PASSWORD), [`repository:${repo}:*`])}` },
    { name: 'AcrPush with Basic', auth: async () => basic('pusher', PASSWORD) },
    { name: 'a scoped token with content/write', auth: async (repo: string) => `Bearer ${await tokenFor(wharf, basic('push-token', PASSWORD), [`repository:${repo}:delete`])}` },
  ];

  for (const caller of callers) {
    it(`${caller.name}: deletes a referrer by digest, not the image, not a tag`, async () => {
      const { repo, image, referrer } = await imageWithReferrer();
      const reg = as(wharf, await caller.auth(repo));
      await expectRefused(await reg.fetch(`/v2/${repo}/manifests/${image}`, { method: 'DELETE' }), repo);
      await expectRefused(await reg.fetch(`/v2/${repo}/manifests/sbom`, { method: 'DELETE' }), repo);
      assert.ok(await exists(repo, image));
      assert.ok(await exists(repo, 'sbom'));
      await expectStatus(await reg.fetch(`/v2/${repo}/manifests/${referrer}`, { method: 'DELETE' }), 202);
      assert.equal(await exists(repo, referrer), false);
      assert.ok(await exists(repo, 'v1'));
    });
  }

  it('an unknown digest is refused to one who may delete only referrers (nothing to learn)', async () => {
    const { repo } = await imageWithReferrer();
    const unknown = `sha256:${'0'.repeat(64)}`;
    await expectRefused(await as(wharf, basic('pusher', PASSWORD)).fetch(`/v2/${repo}/manifests/${unknown}`, { method: 'DELETE' }), repo);
  });

  it('AcrPull may not delete a referrer; AcrDelete deletes both', async () => {
    const { repo, image, referrer } = await imageWithReferrer();
    await expectRefused(await as(wharf, basic('puller', PASSWORD)).fetch(`/v2/${repo}/manifests/${referrer}`, { method: 'DELETE' }), repo);
    assert.ok(await exists(repo, referrer));
    const deleter = as(wharf, `Bearer ${await tokenFor(wharf, basic('deleter', PASSWORD), [`repository:${repo}:delete`])}`);
    await expectStatus(await deleter.fetch(`/v2/${repo}/manifests/${referrer}`, { method: 'DELETE' }), 202);
    await expectStatus(await deleter.fetch(`/v2/${repo}/manifests/${image}`, { method: 'DELETE' }), 202);
    assert.equal(await exists(repo, image), false);
  });

  it('a scoped token with content/write deletes referrers only inside its scope map', async () => {
    const repo = uniqueRepo('elsewhere/app');
    const image = await pushImage(owner(), repo, { reference: 'v1' });
    const { manifest } = await pushArtifact(owner(), repo, descriptorOf(image.manifest));
    const reg = as(wharf, basic('push-token', PASSWORD));
    await expectRefused(await reg.fetch(`/v2/${repo}/manifests/${manifest.digest}`, { method: 'DELETE' }), repo);
    assert.ok(await exists(repo, manifest.digest));
  });
});
