import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { it } from 'node:test';
import { forEachBackend } from '../helpers/backends.ts';
import { expectError, expectStatus, jsonOf, pushImage, type Content } from '../helpers/oci.ts';
import { getRole, initRepo, nextTargets, publish, publishOk, TRUST_ENABLED_ENV, type TrustRepo } from '../helpers/trust-api.ts';
import { targetEntry } from '../helpers/tuf.ts';

interface TagJson { name: string; signed: boolean }

/** Signs `tags` in the repository's top-level targets, as docker does without delegations. */
function signed(repo: TrustRepo, tags: Record<string, Content>): TrustRepo['targets'] {
  const targets = Object.fromEntries(Object.entries(tags).map(([tag, manifest]) => [tag, targetEntry(manifest.bytes)]));
  return nextTargets(repo, { targets });
}

// /acr/v1 and trust data: `signed` per tag (spec 5.3 last bullet), the publish lock, repository delete.
forEachBackend('/acr/v1 with content trust', (ctx) => {
  it('signed is true only while the signed digest is the tag\'s current one; the repository counts signed tags', async () => {
    const repo = `acrtrust/r${randomBytes(4).toString('hex')}`;
    const v1 = await pushImage(ctx.registry, repo, { reference: 'v1' });
    const v2 = await pushImage(ctx.registry, repo, { reference: 'v2' });
    const trust = await initRepo(ctx.registry, `${ctx.registry.host}/${repo}`);
    trust.targets = signed(trust, { v1: v1.manifest, v2: v2.manifest });
    await publishOk(ctx.registry, trust.gun, [trust.targets]);
    const before = await jsonOf<{ tags: TagJson[] }>(await ctx.registry.fetch(`/acr/v1/${repo}/_tags`));
    assert.deepEqual(before.tags.map((t) => [t.name, t.signed]), [['v1', true], ['v2', true]]);
    // An unsigned push moves v2: still signed in trust data, but no longer what the tag serves.
    await pushImage(ctx.registry, repo, { reference: 'v2' });
    const after = await jsonOf<{ tags: TagJson[] }>(await ctx.registry.fetch(`/acr/v1/${repo}/_tags`));
    assert.deepEqual(after.tags.map((t) => [t.name, t.signed]), [['v1', true], ['v2', false]]);
    const shown = await jsonOf<{ signedTagCount: number; tagCount: number }>(await ctx.registry.fetch(`/acr/v1/${repo}`));
    assert.deepEqual([shown.signedTagCount, shown.tagCount], [1, 2]);
  });

  it('a write-locked repository refuses trust publishes (403 DENIED) and keeps its trust data unchanged', async () => {
    const repo = `acrtrust/r${randomBytes(4).toString('hex')}`;
    const v1 = await pushImage(ctx.registry, repo, { reference: 'v1' });
    const trust = await initRepo(ctx.registry, `${ctx.registry.host}/${repo}`);
    const targetsBefore = await (await getRole(ctx.registry, trust.gun, 'targets')).arrayBuffer();
    await expectStatus(await ctx.registry.fetch(`/acr/v1/${repo}`, {
      method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ writeEnabled: false }),
    }), 200);
    const refused = await publish(ctx.registry, trust.gun, [signed(trust, { v1: v1.manifest })]);
    await expectError(refused, 403, 'DENIED');
    const targetsAfter = await (await getRole(ctx.registry, trust.gun, 'targets')).arrayBuffer();
    assert.deepEqual(Buffer.from(targetsAfter), Buffer.from(targetsBefore));
  });

  it('deleting a repository deletes its trust data', async () => {
    const repo = `acrtrust/r${randomBytes(4).toString('hex')}`;
    await pushImage(ctx.registry, repo, { reference: 'v1' });
    const trust = await initRepo(ctx.registry, `${ctx.registry.host}/${repo}`);
    await expectStatus(await getRole(ctx.registry, trust.gun, 'root'), 200);
    await expectStatus(await ctx.registry.fetch(`/acr/v1/${repo}`, { method: 'DELETE' }), 202);
    assert.equal((await getRole(ctx.registry, trust.gun, 'root')).status, 404);
  });
}, { env: TRUST_ENABLED_ENV });
