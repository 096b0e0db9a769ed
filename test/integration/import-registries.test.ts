import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { METADATA_BACKENDS } from '../helpers/backends.ts';
import type { E2eRegistry } from '../helpers/e2e-registry.ts';
import { startReferenceRegistry } from '../helpers/e2e-registry.ts';
import {
  caBundle,
  expectImage,
  expectManifest,
  importAndWait,
  importImage,
  pushMultiPlatform,
  referrerDigests,
  waitForOperation,
  type MultiPlatformImage,
} from '../helpers/import-flows.ts';
import { ApiClient, assign, expectArmError, makeUser, OWNER_PASSWORD } from '../helpers/management-api.ts';
import { descriptorOf, expectStatus, imageIndex, pushImage, pushManifest, uniqueRepo } from '../helpers/oci.ts';
import { createTestDatabase } from '../helpers/postgres.ts';
import { startReferenceRegistryWithAuth } from '../helpers/reference-registry-auth.ts';
import { startWharf, TEST_OWNER_PASSWORD, type WharfInstance } from '../helpers/wharf.ts';

const REF_USER = { username: 'importer', password: 'reference-registry-password' };

// wharf import (spec 6) through the management API: a real Wharf as target, a second Wharf (token
// auth) and Debian's docker-registry (htpasswd Basic auth) as sources, on each metadata backend.
for (const backend of METADATA_BACKENDS) {
  describe(`POST /api/registry/importImage [${backend}]`, { timeout: 300_000 }, () => {
    let source: WharfInstance;
    let reference: E2eRegistry & { url: string; credentials: { username: string; password: string } };
    let untrusted: E2eRegistry;
    const untrustedRegistry = () => ({ url: `https://${untrusted.host}`, fetch: untrusted.fetch });
    let target: WharfInstance;
    let bundle: { file: string; remove(): Promise<void> };
    let database: { url: string; drop(): Promise<void> } | undefined;
    const api = new ApiClient();
    const wharfSource = () => ({ registryUri: source.host, credentials: { username: 'owner', password: TEST_OWNER_PASSWORD } });
    const referenceSource = () => ({ registryUri: reference.host, credentials: reference.credentials });

    before(async () => {
      [source, reference, untrusted] = await Promise.all([
        startWharf({ env: { WHARF_AUTH__ENABLED: 'true' } }),
        startReferenceRegistryWithAuth(REF_USER),
        startReferenceRegistry(),
      ]);
      await source.fetch('/v2/');
      bundle = await caBundle([source.caPem!, reference.caPem]);
      if (backend === 'postgres') database = await createTestDatabase();
      target = await startWharf({
        ...(database && { metadata: database.url }),
        env: { WHARF_AUTH__ENABLED: 'true', WHARF_AUTH__OWNER_PASSWORD: OWNER_PASSWORD, WHARF_IMPORT__CA_FILE: bundle.file, WHARF_IMPORT__MAX_MANIFESTS: '8' },
      });
      api.attach(target);
      api.registryId = (await api.ok<{ id: string }>('GET', '/api/registry')).id;
    });
    after(async () => {
      await api.close();
      await Promise.all([target?.stop(), source?.stop(), reference?.stop(), untrusted?.stop()]);
      await database?.drop();
      await bundle?.remove();
    });

    describe('from another Wharf (Bearer token auth)', () => {
      const repo = uniqueRepo('import-src');
      let image: MultiPlatformImage;
      before(async () => {
        image = await pushMultiPlatform(source, repo, 'v1', { referrers: 'api' });
      });

      it('copies a multi-platform index with all its children and blobs, byte for byte, and tags it', async () => {
        const into = uniqueRepo('import-dst');
        const op = await importAndWait(api, { source: { ...wharfSource(), sourceImage: `${repo}:v1` }, targetTags: [`${into}:v1`] });
        assert.equal(op.source, `${source.host}/${repo}:v1`);
        assert.deepEqual(op.targets, [`${into}:v1`]);
        assert.equal(op.progress.manifests, 3);
        assert.equal(op.progress.blobsCopied + op.progress.blobsSkipped, 6);
        await expectImage(target, into, 'v1', image);
        assert.deepEqual(await referrerDigests(target, into, image.index.digest), [], 'referrers stay behind without includeReferrers');
      });

      it('with includeReferrers also copies signatures and SBOMs (and their referrers), untagged', async () => {
        const into = uniqueRepo('import-dst');
        const op = await importAndWait(api, { source: { ...wharfSource(), sourceImage: `${repo}:v1` }, targetTags: [`${into}:v1`], includeReferrers: true });
        assert.equal(op.progress.manifests, 6);
        await expectImage(target, into, 'v1', image);
        const [signature, sbom, sbomSignature] = image.referrers;
        assert.deepEqual(await referrerDigests(target, into, image.index.digest), [signature!.digest]);
        assert.deepEqual(await referrerDigests(target, into, image.children[0]!.digest), [sbom!.digest]);
        assert.deepEqual(await referrerDigests(target, into, sbom!.digest), [sbomSignature!.digest]);
        for (const r of image.referrers) await expectManifest(target, into, r.digest, r);
        const tags = JSON.parse(await expectStatus(await target.fetch(`/v2/${into}/tags/list`), 200)) as { tags: string[] };
        assert.deepEqual(tags.tags, ['v1'], 'referrers arrive untagged');
      });

      it('imports by digest into untagged repositories; the default target is the source repo:tag', async () => {
        const untagged = uniqueRepo('import-dst');
        await importAndWait(api, { source: { ...wharfSource(), sourceImage: `${repo}@${image.children[1]!.digest}` }, untaggedTargetRepositories: [untagged] });
        await expectManifest(target, untagged, image.children[1]!.digest, image.children[1]!);
        const tags = await target.fetch(`/v2/${untagged}/tags/list`);
        assert.deepEqual((JSON.parse(await expectStatus(tags, 200)) as { tags: string[] }).tags ?? [], []);
        await importAndWait(api, { source: { ...wharfSource(), sourceImage: `${repo}:v1` } });
        await expectImage(target, repo, 'v1', image);
      });

      it('a password without user name is a refresh token: the source\'s token endpoint gets a refresh grant', async () => {
        const form = new URLSearchParams({ grant_type: 'password', access_type: 'offline', service: source.host, client_id: 'test', username: 'owner', password: TEST_OWNER_PASSWORD });
        const res = await source.anonymousFetch('/oauth2/token', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() });
        const refreshToken = (JSON.parse(await expectStatus(res, 200)) as { refresh_token: string }).refresh_token;
        const into = uniqueRepo('import-dst');
        await importAndWait(api, { source: { registryUri: source.host, sourceImage: `${repo}:v1`, credentials: { password: refreshToken } }, targetTags: [`${into}:v1`] });
        await expectImage(target, into, 'v1', image);
      });

      it('an existing tag is a 409 Conflict naming it, nothing changes; mode Force moves it', async () => {
        const into = uniqueRepo('import-dst');
        const other = await pushImage(target, into, { reference: 'v1' });
        const res = await importImage(api, { source: { ...wharfSource(), sourceImage: `${repo}:v1` }, targetTags: [`${into}:v1`] });
        expectArmError(res, 409, 'Conflict', new RegExp(`${into}:v1 already exists`));
        await expectManifest(target, into, 'v1', other.manifest);
        await importAndWait(api, { source: { ...wharfSource(), sourceImage: `${repo}:v1` }, targetTags: [`${into}:v1`], mode: 'Force' });
        await expectImage(target, into, 'v1', image);
      });

      it('wrong source credentials: the operation fails with SourceUnauthorized and the target is untouched', async () => {
        const into = uniqueRepo('import-dst');
        const res = await importImage(api, {
          source: { registryUri: source.host, sourceImage: `${repo}:v1`, credentials: { username: 'owner', password: 'wrong' } },
          targetTags: [`${into}:v1`],
        });
        assert.equal(res.status, 202);
        const op = await waitForOperation(api, res.body.id);
        assert.equal(op.status, 'Failed');
        assert.equal(op.error?.code, 'SourceUnauthorized', JSON.stringify(op));
        assert.doesNotMatch(JSON.stringify(op), /wrong/, 'the password is not echoed');
        assert.equal((await target.fetch(`/v2/${into}/tags/list`)).status, 404);
      });

      it('an unknown source tag fails with SourceNotFound', async () => {
        const res = await importImage(api, { source: { ...wharfSource(), sourceImage: `${repo}:nope` }, targetTags: [`${uniqueRepo('import-dst')}:x`] });
        const op = await waitForOperation(api, res.body.id);
        assert.equal(op.error?.code, 'SourceNotFound', JSON.stringify(op));
      });

      it('more manifests than import.maxManifests (8 here) fail with TooManyManifests', async () => {
        const big = uniqueRepo('import-src');
        const children = [];
        for (let i = 0; i < 9; i++) children.push((await pushImage(source, big, { layers: 0 })).manifest);
        await pushManifest(source, big, 'wide', imageIndex(children.map((c) => descriptorOf(c))));
        const into = uniqueRepo('import-dst');
        const res = await importImage(api, { source: { ...wharfSource(), sourceImage: `${big}:wide` }, targetTags: [`${into}:wide`] });
        const op = await waitForOperation(api, res.body.id);
        assert.equal(op.error?.code, 'TooManyManifests', JSON.stringify(op));
        assert.equal((await target.fetch(`/v2/${into}/manifests/wide`)).status, 404);
      });
    });

    describe('from Debian docker-registry (htpasswd Basic auth)', () => {
      it('copies a Docker manifest list with its children; referrers come through the sha256-<hex> tag schema', async () => {
        const repo = uniqueRepo('import-ref');
        const image = await pushMultiPlatform(reference, repo, '1.0', { docker: true, referrers: 'tag-schema' });
        const into = uniqueRepo('import-dst');
        const op = await importAndWait(api, { source: { ...referenceSource(), sourceImage: `${repo}:1.0` }, targetTags: [`${into}:1.0`], includeReferrers: true });
        assert.equal(op.progress.manifests, 6);
        await expectImage(target, into, '1.0', image);
        const [signature, sbom, sbomSignature] = image.referrers;
        assert.deepEqual(await referrerDigests(target, into, image.index.digest), [signature!.digest]);
        assert.deepEqual(await referrerDigests(target, into, image.children[0]!.digest), [sbom!.digest]);
        assert.deepEqual(await referrerDigests(target, into, sbom!.digest), [sbomSignature!.digest]);
        const tags = JSON.parse(await expectStatus(await target.fetch(`/v2/${into}/tags/list`), 200)) as { tags: string[] };
        assert.deepEqual(tags.tags, ['1.0'], 'the fallback sha256-<hex> tags are not copied');
      });

      it('a second import of the same image downloads no blob again', async () => {
        const repo = uniqueRepo('import-ref');
        const image = await pushMultiPlatform(reference, repo, '1.0');
        const into = uniqueRepo('import-dst');
        const body = { source: { ...referenceSource(), sourceImage: `${repo}:1.0` }, targetTags: [`${into}:1.0`] };
        const first = await importAndWait(api, body);
        assert.equal(first.progress.blobsCopied, 6);
        const second = await importAndWait(api, { ...body, mode: 'Force' });
        assert.deepEqual([second.progress.blobsCopied, second.progress.blobsSkipped], [0, 6]);
        await expectImage(target, into, '1.0', image);
      });

      it('without credentials the Basic challenge fails the operation with SourceUnauthorized', async () => {
        const res = await importImage(api, { source: { registryUri: reference.host, sourceImage: 'any/repo:1' }, targetTags: [`${uniqueRepo('import-dst')}:1`] });
        const op = await waitForOperation(api, res.body.id);
        assert.equal(op.error?.code, 'SourceUnauthorized', JSON.stringify(op));
      });

      it('TLS is verified: a source whose CA is not in import.caFile fails with SourceUnreachable', async () => {
        const repo = uniqueRepo('import-ref');
        await pushImage(untrustedRegistry(), repo, { reference: '1' });
        const res = await importImage(api, { source: { registryUri: untrusted.host, sourceImage: `${repo}:1` }, targetTags: [`${uniqueRepo('import-dst')}:1`] });
        const op = await waitForOperation(api, res.body.id);
        assert.equal(op.error?.code, 'SourceUnreachable', JSON.stringify(op));
        assert.match(op.error!.message, /certificate/);
      });
    });

    describe('requests and authorization', () => {
      it('refuses malformed requests with 400 InvalidRequest', async () => {
        const cases: [unknown, RegExp][] = [
          [{ source: { sourceImage: 'a/b:1' } }, /registryUri is required/],
          [{ source: { registryUri: 'reg.example.com', sourceImage: 'a/b' } }, /needs a tag/],
          [{ source: { registryUri: 'reg.example.com', sourceImage: 'A/b:1' } }, /invalid source repository/],
          [{ source: { registryUri: 'reg.example.com', sourceImage: 'a/b:1' }, targetTags: ['noTag'] }, /repo:tag/],
          [{ source: { resourceId: '/subscriptions/x', sourceImage: 'a/b:1' } }, /resourceId is not supported/],
          [{ source: { registryUri: 'reg.example.com', sourceImage: 'a/b:1' }, mode: 'Sometimes' }, /mode/],
        ];
        for (const [body, message] of cases) expectArmError(await importImage(api, body), 400, 'InvalidRequest', message);
      });

      it('needs Owner or Contributor on the target repositories: AcrPush gets 403, Contributor on team/* imports there only', async () => {
        const pusher = await makeUser(api, `pusher-${backend}`);
        await assign(api, pusher.objectId, 'AcrPush', api.registryId);
        const body = (into: string) => ({ source: { ...wharfSource(), sourceImage: 'whatever/repo:1' }, targetTags: [`${into}:1`] });
        expectArmError(await importImage(api, body('team/app'), pusher.auth), 403, 'AuthorizationFailed', /repository\/import/);
        const contributor = await makeUser(api, `contrib-${backend}`);
        await assign(api, contributor.objectId, 'Contributor', `${api.registryId}/repositories/team/*`);
        const contributorAuth = await api.bearer(`contrib-${backend}`, contributor.password);
        expectArmError(await importImage(api, body('other/app'), contributorAuth), 403, 'AuthorizationFailed', /other\/app/);
        const res = await importImage(api, body('team/app'), contributorAuth);
        assert.equal(res.status, 202, JSON.stringify(res.body));
        assert.equal((await waitForOperation(api, res.body.id, contributorAuth)).status, 'Failed', 'the source has no such image');
        const peek = await api.call('GET', `/api/operations/${res.body.id}`, { auth: await api.ownerAuth() });
        expectArmError(peek, 404, 'NotFound');
      });
    });
  });
}
