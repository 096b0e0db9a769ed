import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { waitForAudit } from '../helpers/audit.ts';
import { forEachBackend, type BackendContext } from '../helpers/backends.ts';
import { expectError, expectStatus, jsonOf, locationPath, pushBlob, pushImage, pushManifest, randomBlob, uniqueRepo, type PushedImage } from '../helpers/oci.ts';
import { createTestDatabase } from '../helpers/postgres.ts';
import { initRepo, nextTargets, publishOk } from '../helpers/trust-api.ts';
import { targetEntry, type JsonObject } from '../helpers/tuf.ts';
import { describeFailure, requireTools, run } from '../helpers/run.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { startWharf, type WharfInstance } from '../helpers/wharf.ts';

type Registry = Pick<WharfInstance, 'fetch'>;

function patch(registry: Registry, path: string, body: unknown): ReturnType<WharfInstance['fetch']> {
  return registry.fetch(path, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

async function setAttributes(registry: Registry, path: string, body: unknown): Promise<void> {
  await expectStatus(await patch(registry, path, body), 200);
}

/** The status of a manifest GET and HEAD (the same for both, or the test fails). */
async function manifestStatus(registry: Registry, repo: string, reference: string): Promise<number> {
  const get = await registry.fetch(`/v2/${repo}/manifests/${reference}`);
  await get.arrayBuffer();
  const head = await registry.fetch(`/v2/${repo}/manifests/${reference}`, { method: 'HEAD' });
  await head.arrayBuffer();
  assert.equal(head.status, get.status, `HEAD and GET of ${repo}/manifests/${reference} disagree`);
  return get.status;
}

async function blobStatus(registry: Registry, repo: string, digest: string): Promise<number> {
  const get = await registry.fetch(`/v2/${repo}/blobs/${digest}`);
  await get.arrayBuffer();
  const head = await registry.fetch(`/v2/${repo}/blobs/${digest}`, { method: 'HEAD' });
  await head.arrayBuffer();
  assert.equal(head.status, get.status, `HEAD and GET of ${repo}/blobs/${digest} disagree`);
  return get.status;
}

/** A GET refused by a read lock: 403 DENIED whose message names what is locked and the command that lifts it. */
async function expectReadLocked(res: Awaited<ReturnType<WharfInstance['fetch']>>, what: string, selector: string): Promise<void> {
  const text = await res.text();
  assert.equal(res.status, 403, text);
  const error = (JSON.parse(text) as { errors: { code: string; message: string; detail: { reason: string } }[] }).errors[0]!;
  assert.equal(error.code, 'DENIED');
  assert.equal(error.message, `${what} is read-locked (readEnabled=false); lift the lock with 'wharf repository update ${selector} --read-enabled true'`);
  assert.equal(error.detail.reason, 'readEnabled=false');
}

async function tagList(registry: Registry, path: string): Promise<{ tags: string[]; link: string | null }> {
  const res = await registry.fetch(path);
  const link = res.headers.get('link');
  return { tags: (await jsonOf<{ tags: string[] }>(res)).tags, link };
}

async function acrTagNames(registry: Registry, path: string): Promise<{ names: string[]; link: string | null }> {
  const res = await registry.fetch(path);
  const link = res.headers.get('link');
  return { names: (await jsonOf<{ tags: { name: string }[] }>(res)).tags.map((t) => t.name), link };
}

/** The status of a plain GET (while polling for a change, when GET and HEAD may straddle it). */
async function getStatus(registry: Registry, path: string): Promise<number> {
  const res = await registry.fetch(path);
  await res.arrayBuffer();
  return res.status;
}

/** Polls until `check` holds, failing after `ms`. */
async function within(ms: number, what: string, check: () => Promise<boolean>): Promise<void> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > ms) assert.fail(`${what}: not within ${ms} ms`);
    await sleep(50);
  }
}

// ACR's readEnabled and listEnabled (docs/api.md): read locks refuse pulls, list locks hide from lists.
forEachBackend('readEnabled and listEnabled', (ctx: BackendContext) => {
  const wharf = () => ctx.registry;

  describe('readEnabled=false refuses reads (403 DENIED) and nothing else', () => {
    it('on a repository: every manifest GET/HEAD by tag or digest and every blob GET/HEAD; pushes, tag lists and /acr/v1 still work; lifted, all is served', async () => {
      const repo = uniqueRepo('readlock');
      const other = uniqueRepo('readlock');
      const image = await pushImage(wharf(), repo, { reference: 'v1' });
      const neighbour = await pushImage(wharf(), other, { reference: 'v1' });
      await setAttributes(wharf(), `/acr/v1/${repo}`, { readEnabled: false });
      for (const reference of ['v1', image.manifest.digest]) {
        await expectReadLocked(await wharf().fetch(`/v2/${repo}/manifests/${reference}`), `repository ${repo}`, `--repository ${repo}`);
        assert.equal(await manifestStatus(wharf(), repo, reference), 403);
      }
      for (const blob of [image.config, image.layers[0]!]) {
        await expectReadLocked(await wharf().fetch(`/v2/${repo}/blobs/${blob.digest}`), `repository ${repo}`, `--repository ${repo}`);
        assert.equal(await blobStatus(wharf(), repo, blob.digest), 403);
      }
      // Nothing else is refused: other repositories, pushes, lists, metadata reads.
      assert.equal(await manifestStatus(wharf(), other, 'v1'), 200);
      assert.equal(await blobStatus(wharf(), other, neighbour.layers[0]!.digest), 200);
      const pushed = await pushImage(wharf(), repo, { reference: 'v2' });
      assert.deepEqual((await tagList(wharf(), `/v2/${repo}/tags/list`)).tags, ['v1', 'v2']);
      const detail = await jsonOf<{ tag: { digest: string } }>(await wharf().fetch(`/acr/v1/${repo}/_tags/v2`));
      assert.equal(detail.tag.digest, pushed.manifest.digest);
      assert.equal(await manifestStatus(wharf(), repo, 'v2'), 403);

      await setAttributes(wharf(), `/acr/v1/${repo}`, { readEnabled: true });
      const served = await wharf().fetch(`/v2/${repo}/manifests/v1`, { headers: { accept: image.manifest.mediaType } });
      assert.equal(served.status, 200);
      assert.deepEqual(Buffer.from(await served.arrayBuffer()), image.manifest.bytes);
      assert.equal(await manifestStatus(wharf(), repo, pushed.manifest.digest), 200);
      assert.equal(await blobStatus(wharf(), repo, image.layers[0]!.digest), 200);
    });

    it('on a tag: GET/HEAD by that tag only; the same manifest by digest or by another tag is served, and so are blobs', async () => {
      const repo = uniqueRepo('readlock');
      const image = await pushImage(wharf(), repo, { reference: 'v1' });
      await pushManifest(wharf(), repo, 'also', image.manifest);
      await setAttributes(wharf(), `/acr/v1/${repo}/_tags/v1`, { readEnabled: false });
      await expectReadLocked(await wharf().fetch(`/v2/${repo}/manifests/v1`), `tag ${repo}:v1`, `--image ${repo}:v1`);
      assert.equal(await manifestStatus(wharf(), repo, 'v1'), 403);
      assert.equal(await manifestStatus(wharf(), repo, 'also'), 200);
      assert.equal(await manifestStatus(wharf(), repo, image.manifest.digest), 200);
      assert.equal(await blobStatus(wharf(), repo, image.layers[0]!.digest), 200);
      // A push onto the read-locked tag is not a read.
      const moved = await pushImage(wharf(), repo, { reference: 'v1' });
      assert.equal((await jsonOf<{ tag: { digest: string } }>(await wharf().fetch(`/acr/v1/${repo}/_tags/v1`))).tag.digest, moved.manifest.digest);
      assert.equal(await manifestStatus(wharf(), repo, 'v1'), 403);
      await setAttributes(wharf(), `/acr/v1/${repo}/_tags/v1`, { readEnabled: true });
      assert.equal(await manifestStatus(wharf(), repo, 'v1'), 200);
    });

    it('on a manifest: GET/HEAD by its digest and by every tag pointing at it; other manifests and its blobs are served', async () => {
      const repo = uniqueRepo('readlock');
      const image = await pushImage(wharf(), repo, { reference: 'v1' });
      await pushManifest(wharf(), repo, 'stable', image.manifest);
      const other = await pushImage(wharf(), repo, { reference: 'v2' });
      await setAttributes(wharf(), `/acr/v1/${repo}/_manifests/${image.manifest.digest}`, { readEnabled: false });
      const selector = `--image ${repo}@${image.manifest.digest}`;
      for (const reference of [image.manifest.digest, 'v1', 'stable']) {
        await expectReadLocked(await wharf().fetch(`/v2/${repo}/manifests/${reference}`), `manifest ${repo}@${image.manifest.digest}`, selector);
        assert.equal(await manifestStatus(wharf(), repo, reference), 403);
      }
      assert.equal(await manifestStatus(wharf(), repo, 'v2'), 200);
      assert.equal(await manifestStatus(wharf(), repo, other.manifest.digest), 200);
      assert.equal(await blobStatus(wharf(), repo, image.config.digest), 200);
      // Moving a tag away from the locked manifest frees the tag.
      await pushManifest(wharf(), repo, 'stable', other.manifest);
      assert.equal(await manifestStatus(wharf(), repo, 'stable'), 200);
      await setAttributes(wharf(), `/acr/v1/${repo}/_manifests/${image.manifest.digest}`, { readEnabled: true });
      assert.equal(await manifestStatus(wharf(), repo, 'v1'), 200);
      assert.equal(await manifestStatus(wharf(), repo, image.manifest.digest), 200);
    });

    it('a mount from a read-locked repository links nothing and falls back to an upload (202); unlocked, it mounts', async () => {
      const source = uniqueRepo('readlock-src');
      const target = uniqueRepo('readlock-dst');
      const blob = randomBlob(200);
      const digest = await pushBlob(wharf(), source, blob);
      await pushBlob(wharf(), target, randomBlob(10));
      await setAttributes(wharf(), `/acr/v1/${source}`, { readEnabled: false });
      for (const query of [`mount=${digest}&from=${source}`, `mount=${digest}`]) {
        const res = await wharf().fetch(`/v2/${target}/blobs/uploads/?${query}`, { method: 'POST' });
        await expectStatus(res, 202);
        assert.ok(locationPath(wharf(), res.headers.get('location')).startsWith(`/v2/${target}/blobs/uploads/`));
        assert.equal(await blobStatus(wharf(), target, digest), 404);
      }
      await setAttributes(wharf(), `/acr/v1/${source}`, { readEnabled: true });
      await expectStatus(await wharf().fetch(`/v2/${target}/blobs/uploads/?mount=${digest}&from=${source}`, { method: 'POST' }), 201);
      assert.equal(await blobStatus(wharf(), target, digest), 200);
    });

    it('records a refused manifest read as pull.refused with the reason', async () => {
      const repo = uniqueRepo('readlock');
      await pushImage(wharf(), repo, { reference: 'v1' });
      await setAttributes(wharf(), `/acr/v1/${repo}/_tags/v1`, { readEnabled: false });
      assert.equal(await manifestStatus(wharf(), repo, 'v1'), 403);
      const record = await waitForAudit(wharf(), { action: 'pull.refused', repository: repo }, () => true);
      assert.equal(record.subject, 'v1');
      assert.deepEqual(record.detail, { tag: 'v1', reason: 'readEnabled=false' });
    });
  });

  describe('listEnabled=false hides from lists; direct reads still work', () => {
    it('leaves a tag, and every tag of a hidden manifest, out of /v2 tags/list and /acr/v1 _tags, paging over the rest', async () => {
      const repo = uniqueRepo('listlock');
      const images = new Map<string, PushedImage>();
      for (const tag of ['a', 'b', 'c', 'd', 'e']) images.set(tag, await pushImage(wharf(), repo, { reference: tag }));
      await pushManifest(wharf(), repo, 'c2', images.get('c')!.manifest);
      await setAttributes(wharf(), `/acr/v1/${repo}/_tags/b`, { listEnabled: false });
      await setAttributes(wharf(), `/acr/v1/${repo}/_manifests/${images.get('c')!.manifest.digest}`, { listEnabled: false });
      assert.deepEqual((await tagList(wharf(), `/v2/${repo}/tags/list`)).tags, ['a', 'd', 'e']);
      const first = await tagList(wharf(), `/v2/${repo}/tags/list?n=2`);
      assert.deepEqual(first, { tags: ['a', 'd'], link: `</v2/${repo}/tags/list?n=2&last=d>; rel="next"` });
      assert.deepEqual(await tagList(wharf(), `/v2/${repo}/tags/list?n=2&last=d`), { tags: ['e'], link: null });
      assert.deepEqual(await tagList(wharf(), `/v2/${repo}/tags/list?n=1&last=a`), { tags: ['d'], link: `</v2/${repo}/tags/list?n=1&last=d>; rel="next"` });
      assert.deepEqual((await acrTagNames(wharf(), `/acr/v1/${repo}/_tags`)).names, ['a', 'd', 'e']);
      assert.deepEqual(await acrTagNames(wharf(), `/acr/v1/${repo}/_tags?n=2`), { names: ['a', 'd'], link: `</acr/v1/${repo}/_tags?n=2&last=d>; rel="next"` });
      assert.deepEqual((await acrTagNames(wharf(), `/acr/v1/${repo}/_tags?orderby=timedesc`)).names.sort(), ['a', 'd', 'e']);
      // Hidden is not locked: direct reads of the tags, the manifest and its details work.
      for (const reference of ['b', 'c', 'c2', images.get('c')!.manifest.digest]) assert.equal(await manifestStatus(wharf(), repo, reference), 200);
      await expectStatus(await wharf().fetch(`/acr/v1/${repo}/_tags/b`), 200);
      // The repository's counts are not lists: every tag counts.
      assert.equal((await jsonOf<{ tagCount: number }>(await wharf().fetch(`/acr/v1/${repo}`))).tagCount, 6);
      await setAttributes(wharf(), `/acr/v1/${repo}/_tags/b`, { listEnabled: true });
      await setAttributes(wharf(), `/acr/v1/${repo}/_manifests/${images.get('c')!.manifest.digest}`, { listEnabled: true });
      assert.deepEqual((await tagList(wharf(), `/v2/${repo}/tags/list`)).tags, ['a', 'b', 'c', 'c2', 'd', 'e']);
    });

    it('leaves a manifest out of /acr/v1 _manifests, paging over the rest; its direct GET works', async () => {
      const repo = uniqueRepo('listlock');
      const digests: string[] = [];
      for (const tag of ['a', 'b', 'c']) digests.push((await pushImage(wharf(), repo, { reference: tag })).manifest.digest);
      const ordered = [...digests];
      digests.sort();
      await setAttributes(wharf(), `/acr/v1/${repo}/_manifests/${digests[1]}`, { listEnabled: false });
      const listed = async (query: string) => {
        const res = await wharf().fetch(`/acr/v1/${repo}/_manifests${query}`);
        const link = res.headers.get('link');
        return { digests: (await jsonOf<{ manifests: { digest: string }[] }>(res)).manifests.map((m) => m.digest), link };
      };
      assert.deepEqual((await listed('')).digests, [digests[0], digests[2]]);
      // Only a manifest is hidden here (no tag is): its tag leaves /v2 tags/list too.
      const shown = ['a', 'b', 'c'].filter((_, i) => i !== ordered.indexOf(digests[1]!));
      assert.deepEqual((await tagList(wharf(), `/v2/${repo}/tags/list`)).tags, shown);
      assert.deepEqual(await listed('?n=1'), { digests: [digests[0]], link: `</acr/v1/${repo}/_manifests?n=1&last=${encodeURIComponent(digests[0]!)}>; rel="next"` });
      assert.deepEqual((await listed(`?n=1&last=${digests[0]}`)).digests, [digests[2]]);
      const one = await jsonOf<{ manifest: { digest: string; changeableAttributes: { listEnabled: boolean } } }>(await wharf().fetch(`/acr/v1/${repo}/_manifests/${digests[1]}`));
      assert.equal(one.manifest.changeableAttributes.listEnabled, false);
      assert.equal(await manifestStatus(wharf(), repo, digests[1]!), 200);
    });

    it('leaves a repository out of /v2/_catalog and /acr/v1/_catalog, paging over the rest; it is still served', async () => {
      const prefix = uniqueRepo('listlock');
      const names = ['a', 'b', 'c', 'd'].map((n) => `${prefix}/${n}`);
      for (const name of names) await pushImage(wharf(), name, { reference: 'v1' });
      await setAttributes(wharf(), `/acr/v1/${names[1]}`, { listEnabled: false });
      for (const path of ['/v2/_catalog', '/acr/v1/_catalog']) {
        const page = async (query: string) => {
          const res = await wharf().fetch(`${path}?${query}`);
          const link = res.headers.get('link');
          return { names: (await jsonOf<{ repositories: string[] }>(res)).repositories, link };
        };
        // Every name after the unique prefix starts with it: the pages below see only this test's repositories.
        const first = await page(`n=2&last=${prefix}`);
        assert.deepEqual(first.names, [names[0], names[2]]);
        assert.equal(first.link, `<${path}?${new URLSearchParams({ n: '2', last: names[2]! })}>; rel="next"`);
        assert.equal((await page(`n=2&last=${names[2]}`)).names[0], names[3]);
        assert.ok(!(await page('n=100000')).names.includes(names[1]!));
      }
      assert.equal(await manifestStatus(wharf(), names[1]!, 'v1'), 200);
      assert.deepEqual((await tagList(wharf(), `/v2/${names[1]}/tags/list`)).tags, ['v1']);
      await setAttributes(wharf(), `/acr/v1/${names[1]}`, { listEnabled: true });
      assert.deepEqual((await jsonOf<{ repositories: string[] }>(await wharf().fetch(`/v2/_catalog?n=3&last=${prefix}`))).repositories, names.slice(0, 3));
    });
  });

  it('under an enforced content trust policy: a read-locked signed tag is refused, and list-hidden signed tags are left out of tags/list', async () => {
    const repo = uniqueRepo('listlock-enforced');
    await expectStatus(await wharf().fetch('/api/registry/contentTrust', {
      method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ status: 'enforced', repository: repo }),
    }), 200);
    const images = new Map<string, PushedImage>();
    for (const tag of ['a', 'b', 'c', 'd']) images.set(tag, await pushImage(wharf(), repo, { reference: tag }));
    const trust = await initRepo(wharf(), `${wharf().host}/${repo}`);
    const targets: Record<string, JsonObject> = {};
    for (const [tag, image] of images) targets[tag] = targetEntry(image.manifest.bytes);
    trust.targets = nextTargets(trust, { targets });
    await publishOk(trust.server, trust.gun, [trust.targets]);
    assert.deepEqual((await tagList(wharf(), `/v2/${repo}/tags/list`)).tags, ['a', 'b', 'c', 'd']);
    await setAttributes(wharf(), `/acr/v1/${repo}/_tags/b`, { listEnabled: false });
    await setAttributes(wharf(), `/acr/v1/${repo}/_manifests/${images.get('c')!.manifest.digest}`, { listEnabled: false });
    assert.deepEqual((await tagList(wharf(), `/v2/${repo}/tags/list`)).tags, ['a', 'd']);
    assert.deepEqual(await tagList(wharf(), `/v2/${repo}/tags/list?n=1&last=a`), { tags: ['d'], link: `</v2/${repo}/tags/list?n=1&last=d>; rel="next"` });
    assert.equal(await manifestStatus(wharf(), repo, 'b'), 200);
    await setAttributes(wharf(), `/acr/v1/${repo}/_tags/a`, { readEnabled: false });
    await expectReadLocked(await wharf().fetch(`/v2/${repo}/manifests/a`), `tag ${repo}:a`, `--image ${repo}:a`);
    assert.equal(await manifestStatus(wharf(), repo, images.get('a')!.manifest.digest), 200);
  });

  if (ctx.backend === 'sqlite') {
    it('skopeo inspect of a read-locked tag fails with the DENIED message', async (t) => {
      requireTools('skopeo');
      const repo = uniqueRepo('readlock');
      await pushImage(wharf(), repo, { reference: 'v1' });
      await setAttributes(wharf(), `/acr/v1/${repo}/_tags/v1`, { readEnabled: false });
      const { caPem, credentials, host } = wharf();
      const certs = await tmpDir('wharf-readlock-certs-');
      t.after(() => certs.remove());
      await writeFile(join(certs.path, 'ca.crt'), caPem!);
      const args = ['--insecure-policy', 'inspect', '--raw', '--cert-dir', certs.path, '--creds', `${credentials!.username}:${credentials!.password}`, `docker://${host}/${repo}:v1`];
      const res = await run('skopeo', args, { env: { ...process.env, CONTAINERS_REGISTRIES_CONF: '/dev/null' } });
      assert.notEqual(res.code, 0, describeFailure('skopeo', args, res));
      assert.match(res.stderr, /denied/i, describeFailure('skopeo', args, res));
      assert.ok(res.stderr.includes(`tag ${repo}:v1 is read-locked (readEnabled=false)`), describeFailure('skopeo', args, res));
      await setAttributes(wharf(), `/acr/v1/${repo}/_tags/v1`, { readEnabled: true });
      const ok = await run('skopeo', args, { env: { ...process.env, CONTAINERS_REGISTRIES_CONF: '/dev/null' } });
      assert.equal(ok.code, 0, describeFailure('skopeo', args, ok));
    });
  }
});

// Two nodes sharing PostgreSQL: a lock set or lifted on one shows on the other within about a second.
describe('readEnabled and listEnabled across nodes [postgres]', () => {
  let database: { url: string; drop(): Promise<void> };
  let a: WharfInstance;
  let b: WharfInstance;
  before(async () => {
    database = await createTestDatabase();
    // Nodes of one deployment share the key-encryption key (token-service keys are sealed with it).
    const env = { WHARF_TRUST__KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64') };
    a = await startWharf({ metadata: database.url, env });
    b = await startWharf({ metadata: database.url, env });
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
    await database?.drop();
  });

  it('a read lock set through one node refuses reads on the other within ~1 s, and its lifting serves them again', async () => {
    const repo = uniqueRepo('readlock-nodes');
    const image = await pushImage(a, repo, { reference: 'v1' });
    // Served (and cached) on the first node before the change.
    assert.equal(await manifestStatus(a, repo, 'v1'), 200);
    assert.equal(await manifestStatus(a, repo, image.manifest.digest), 200);
    await setAttributes(b, `/acr/v1/${repo}/_manifests/${image.manifest.digest}`, { readEnabled: false });
    assert.equal(await manifestStatus(b, repo, 'v1'), 403);
    await within(2_500, 'read lock seen by the other node', async () => (await getStatus(a, `/v2/${repo}/manifests/v1`)) === 403);
    assert.equal(await manifestStatus(a, repo, 'v1'), 403);
    assert.equal(await manifestStatus(a, repo, image.manifest.digest), 403);
    await setAttributes(b, `/acr/v1/${repo}/_manifests/${image.manifest.digest}`, { readEnabled: true });
    await within(2_500, 'read lock lifted on the other node', async () => (await getStatus(a, `/v2/${repo}/manifests/v1`)) === 200);
    assert.equal(await manifestStatus(a, repo, image.manifest.digest), 200);
    // Blob bytes live on the node that received them; the repository lock is checked before that.
    await setAttributes(b, `/acr/v1/${repo}`, { readEnabled: false });
    const blob = `/v2/${repo}/blobs/${image.layers[0]!.digest}`;
    await within(2_500, 'repository read lock seen by the other node', async () => (await getStatus(a, blob)) === 403);
    assert.equal(await blobStatus(a, repo, image.layers[0]!.digest), 403);
    await setAttributes(b, `/acr/v1/${repo}`, { readEnabled: true });
    await within(2_500, 'repository read lock lifted on the other node', async () => (await getStatus(a, blob)) === 200);
    assert.equal(await blobStatus(a, repo, image.layers[0]!.digest), 200);
  });

  it('a list lock set through one node hides the tag from the other node\'s lists at once', async () => {
    const repo = uniqueRepo('listlock-nodes');
    await pushImage(a, repo, { reference: 'v1' });
    await pushImage(a, repo, { reference: 'v2' });
    await setAttributes(b, `/acr/v1/${repo}/_tags/v1`, { listEnabled: false });
    assert.deepEqual((await tagList(a, `/v2/${repo}/tags/list`)).tags, ['v2']);
    assert.deepEqual((await acrTagNames(a, `/acr/v1/${repo}/_tags`)).names, ['v2']);
  });
});
