import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { it } from 'node:test';
import { forEachBackend } from '../helpers/backends.ts';
import { expectError, expectStatus, jsonOf, pushImage, type Content } from '../helpers/oci.ts';
import { getRole, initRepo, nextTargets, publish, publishOk, TRUST_ENABLED_ENV, type TrustRepo } from '../helpers/trust-api.ts';
import { generateKey, signFile, targetEntry, targetsSigned, type DelegationSpec, type JsonObject } from '../helpers/tuf.ts';
import { loginAsOwner, wharfCli } from '../helpers/wharf-cli.ts';

interface TagJson { name: string; signed: boolean; signers: string[] }

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
    assert.deepEqual(before.tags.map((t) => [t.name, t.signed, t.signers]), [['v1', true, ['Repo Admin']], ['v2', true, ['Repo Admin']]]);
    // An unsigned push moves v2: still signed in trust data, but no longer what the tag serves.
    await pushImage(ctx.registry, repo, { reference: 'v2' });
    const after = await jsonOf<{ tags: TagJson[] }>(await ctx.registry.fetch(`/acr/v1/${repo}/_tags`));
    assert.deepEqual(after.tags.map((t) => [t.name, t.signed, t.signers]), [['v1', true, ['Repo Admin']], ['v2', false, []]]);
    const shown = await jsonOf<{ signedTagCount: number; tagCount: number }>(await ctx.registry.fetch(`/acr/v1/${repo}`));
    assert.deepEqual([shown.signedTagCount, shown.tagCount], [1, 2]);
  });

  it('signers name the verified delegations holding the signed target, as docker trust inspect; the CLI shows them', async () => {
    const repo = `acrtrust/r${randomBytes(4).toString('hex')}`;
    const image: Record<string, Content> = {};
    for (const tag of ['v1', 'v2', 'v3', 'v4']) image[tag] = (await pushImage(ctx.registry, repo, { reference: tag })).manifest;
    const entry = (tag: string) => targetEntry(image[tag]!.bytes);
    const trust = await initRepo(ctx.registry, `${ctx.registry.host}/${repo}`);
    const [releasesKey, aliceKey, bobKey] = [generateKey('ecdsa'), generateKey('ecdsa'), generateKey('ecdsa')];
    const roles = (bobPaths: string[]): DelegationSpec[] => [
      { name: 'targets/releases', keys: [releasesKey, aliceKey, bobKey] }, { name: 'targets/alice', keys: [aliceKey] }, { name: 'targets/bob', keys: [bobKey], paths: bobPaths },
    ];
    const role = (name: string, key: typeof aliceKey, targets: Record<string, JsonObject>, version = 1) => signFile(name, targetsSigned({ version, targets }), [key]);
    // As docker trust sign by a delegate: the tag goes into targets/releases and targets/<name>.
    // v3 only in the top-level targets; alice holds v4 with another digest than releases signs.
    trust.targets = nextTargets(trust, { targets: { v3: entry('v3') }, delegations: roles(['']) });
    await publishOk(ctx.registry, trust.gun, [
      trust.targets,
      role('targets/releases', releasesKey, { v1: entry('v1'), v2: entry('v2'), v4: entry('v4') }),
      role('targets/alice', aliceKey, { v1: entry('v1'), v4: entry('v3') }),
      role('targets/bob', bobKey, { v1: entry('v1'), v2: entry('v2') }),
    ]);
    const listed = async () => (await jsonOf<{ tags: TagJson[] }>(await ctx.registry.fetch(`/acr/v1/${repo}/_tags`))).tags.map((t) => [t.name, t.signed, t.signers]);
    assert.deepEqual(await listed(), [
      ['v1', true, ['alice', 'bob']], ['v2', true, ['bob']], ['v3', true, ['Repo Admin']], ['v4', true, ['Repo Admin']],
    ]);

    // The owner narrows bob's paths without bob re-signing: bob's targets outside them name nobody.
    trust.targets = nextTargets(trust, { targets: { v3: entry('v3') }, delegations: roles(['rc-']) });
    await publishOk(ctx.registry, trust.gun, [trust.targets]);
    assert.deepEqual(await listed(), [
      ['v1', true, ['alice']], ['v2', true, ['Repo Admin']], ['v3', true, ['Repo Admin']], ['v4', true, ['Repo Admin']],
    ]);
    // A delegate's publish shows at once (the cache is invalidated), and an unsigned push unsigns.
    await publishOk(ctx.registry, trust.gun, [role('targets/alice', aliceKey, { v1: entry('v1'), v3: entry('v3') }, 2)]);
    await pushImage(ctx.registry, repo, { reference: 'v1' });
    assert.deepEqual(await listed(), [
      ['v1', false, []], ['v2', true, ['Repo Admin']], ['v3', true, ['alice']], ['v4', true, ['Repo Admin']],
    ]);
    const one = await jsonOf<{ tag: TagJson }>(await ctx.registry.fetch(`/acr/v1/${repo}/_tags/v3`));
    assert.deepEqual([one.tag.signed, one.tag.signers], [true, ['alice']]);

    const cli = await wharfCli();
    try {
      await loginAsOwner(cli, ctx.registry);
      const detail = (await cli.json(['repository', 'show-tags', '--repository', repo, '--detail', '-o', 'json'])) as TagJson[];
      assert.deepEqual(detail.map((t) => [t.name, t.signers]), [['v1', []], ['v2', ['Repo Admin']], ['v3', ['alice']], ['v4', ['Repo Admin']]]);
      const shown = (await cli.json(['repository', 'show', '--image', `${repo}:v3`])) as TagJson;
      assert.deepEqual(shown.signers, ['alice']);
      const table = await cli.run(['repository', 'show-tags', '--repository', repo, '--detail', '-o', 'table']);
      assert.equal(table.code, 0, table.stderr);
      const [header, , ...rows] = table.stdout.trimEnd().split('\n');
      assert.match(header!, /^CreatedTime\s+Digest\s+LastUpdateTime\s+Name\s+Signed\s+Signers$/);
      assert.match(rows.find((r) => / v3 /.test(r)) ?? '', /\sTrue\s+alice$/);
      assert.match(rows.find((r) => / v1 /.test(r)) ?? '', /\sFalse$/);
    } finally {
      await cli.remove();
    }
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
