import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { caBundle, expectBlobs, expectManifest, importImage, waitForOperation, type Operation } from '../helpers/import-flows.ts';
import { ApiClient, OWNER_PASSWORD, expectArmError, makeUser } from '../helpers/management-api.ts';
import { freePort } from '../helpers/net.ts';
import { configBlob, descriptorOf, imageManifest, layerBlob, pushBlob, pushManifest, uniqueRepo } from '../helpers/oci.ts';
import { createTestDatabase } from '../helpers/postgres.ts';
import { startReferenceRegistryWithAuth } from '../helpers/reference-registry-auth.ts';
import { startThrottleProxy, type ThrottleProxy } from '../helpers/throttle-proxy.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { startWharf, type StartOptions, type WharfInstance } from '../helpers/wharf.ts';

const LAYERS = 6;
const LAYER_BYTES = 1024 * 1024;
const INTERRUPTED = { code: 'Canceled', message: 'interrupted by a restart of Wharf; run the import again — layers already copied are skipped' };

// Import operations live in the metadata database: two Wharf nodes on one PostgreSQL database
// (and one data directory, as a shared volume) each show the operations the other runs, with
// their progress; a node killed mid-import and restarted ends the operations it left running.
describe('import operations on two Wharf nodes sharing PostgreSQL', { timeout: 300_000 }, () => {
  let reference: Awaited<ReturnType<typeof startReferenceRegistryWithAuth>>;
  let proxy: ThrottleProxy;
  let bundle: { file: string; remove(): Promise<void> };
  let data: { path: string; remove(): Promise<void> };
  let database: { url: string; drop(): Promise<void> };
  let optionsA: StartOptions;
  let a: WharfInstance;
  let b: WharfInstance;
  const apiA = new ApiClient();
  const apiB = new ApiClient();
  const get = async (api: ApiClient, id: string, auth?: string) =>
    api.call<Operation>('GET', `/api/operations/${id}`, { auth: auth ?? (await api.ownerAuth()) });

  before(async () => {
    reference = await startReferenceRegistryWithAuth({ username: 'importer', password: 'two-nodes-password' });
    // 1 MiB/s per connection, three blobs at a time: the 6 MiB image takes about two seconds.
    proxy = await startThrottleProxy(reference.host, 1024 * 1024);
    bundle = await caBundle([reference.caPem]);
    data = await tmpDir('wharf-import-nodes-');
    database = await createTestDatabase();
    const options = async (): Promise<StartOptions> => ({
      metadata: database.url,
      dataDir: data.path,
      port: await freePort(),
      env: { WHARF_AUTH__ENABLED: 'true', WHARF_AUTH__OWNER_PASSWORD: OWNER_PASSWORD, WHARF_IMPORT__CA_FILE: bundle.file },
    });
    optionsA = await options();
    // One after the other: the first start writes the TLS certificate and keys the second reuses.
    a = await startWharf(optionsA);
    b = await startWharf(await options());
    apiA.attach(a);
    apiB.attach(b);
  });
  after(async () => {
    await Promise.all([apiA.close(), apiB.close()]);
    await Promise.all([a?.stop(), b?.stop()]);
    await proxy?.close();
    await reference?.stop();
    await database?.drop();
    await bundle?.remove();
    await data?.remove();
  });

  it('node B shows an import running on node A with its progress; after A is killed and restarted it is Failed as interrupted, on both', async () => {
    const { repo, into, manifest, body } = await bigImage();
    const started = await importImage(apiA, body(proxy.host));
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const seenFromB = await progressOnB(started.body.id);
    assert.equal(seenFromB.status, 'InProgress', `the copy ended too soon: ${JSON.stringify(seenFromB)}`);
    assert.deepEqual([seenFromB.source, seenFromB.targets], [`${proxy.host}/${repo}:big`, [`${into}:big`]]);
    await a.kill();

    const afterKill = await get(apiB, started.body.id);
    assert.equal(afterKill.body.status, 'InProgress', 'a node that just stopped writing is not yet taken for gone');
    a = await startWharf(optionsA);
    apiA.attach(a);
    for (const api of [apiB, apiA]) {
      const ended = await get(api, started.body.id);
      assert.equal(ended.status, 200, JSON.stringify(ended.body));
      assert.deepEqual([ended.body.status, ended.body.error], ['Failed', INTERRUPTED]);
      assert.match(ended.body.endTime ?? '', /^\d{4}-/);
    }
    assert.equal((await b.fetch(`/v2/${into}/manifests/big`)).status, 404, 'no tag from the interrupted run');

    // Run again on B, polled on A: it completes, skipping what the first run committed.
    const again = await importImage(apiB, body(reference.host));
    assert.equal(again.status, 202, JSON.stringify(again.body));
    const done = await waitForOperation(apiA, again.body.id);
    assert.equal(done.status, 'Succeeded', JSON.stringify(done));
    assert.ok(done.progress.blobsSkipped >= 1, JSON.stringify(done.progress));
    assert.equal(done.progress.blobsSkipped + done.progress.blobsCopied, LAYERS + 1);
    assert.deepEqual(done, (await get(apiB, again.body.id)).body, 'both nodes show the same finished operation');
    await expectManifest(a, into, 'big', manifest);
    await expectBlobs(a, into, manifest);
  });

  it('a node stopped gracefully (SIGTERM) stores the imports it was running as Failed with code Canceled', async () => {
    const { body } = await bigImage();
    const started = await importImage(apiA, body(proxy.host));
    assert.equal(started.status, 202, JSON.stringify(started.body));
    assert.equal((await progressOnB(started.body.id)).status, 'InProgress');
    await a.stop();
    const ended = await get(apiB, started.body.id);
    assert.deepEqual([ended.body.status, ended.body.error?.code], ['Failed', 'Canceled'], JSON.stringify(ended.body));
    assert.match(ended.body.error!.message, /shut down during the import; run it again/);
    a = await startWharf(optionsA);
    apiA.attach(a);
  });

  it('on either node, an operation is 404 for anyone but the principal that started it', async () => {
    const other = await makeUser(apiA, 'nodes-other-user');
    const started = await importImage(apiA, { source: { registryUri: reference.host, sourceImage: 'no/such:1', credentials: reference.credentials }, targetTags: [`${uniqueRepo('import-nodes-dst')}:1`] });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    assert.equal((await waitForOperation(apiB, started.body.id)).error?.code, 'SourceNotFound');
    for (const api of [apiA, apiB]) {
      expectArmError(await get(api, started.body.id, await api.bearer('nodes-other-user', other.password)), 404, 'NotFound');
    }
  });

  /** An image of LAYERS 1 MiB layers in the reference registry, and an import request for it into a new repository. */
  async function bigImage() {
    const repo = uniqueRepo('import-nodes');
    const config = configBlob();
    const layers = Array.from({ length: LAYERS }, () => layerBlob(LAYER_BYTES));
    for (const blob of [config, ...layers]) await pushBlob(reference, repo, blob.bytes);
    const manifest = imageManifest({ config: descriptorOf(config), layers: layers.map((l) => descriptorOf(l)) });
    await pushManifest(reference, repo, 'big', manifest);
    const into = uniqueRepo('import-nodes-dst');
    const body = (host: string) => ({ source: { registryUri: host, sourceImage: `${repo}:big`, credentials: reference.credentials }, targetTags: [`${into}:big`] });
    return { repo, into, manifest, body };
  }

  /** Polls node B until it shows at least one blob copied by the import running on A (or its end). */
  async function progressOnB(id: string): Promise<Operation> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const res = await get(apiB, id);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      if (res.body.progress.blobsCopied >= 1 || res.body.status !== 'InProgress') return res.body;
      assert.ok(Date.now() < deadline, `no progress seen from node B: ${JSON.stringify(res.body)}`);
      await sleep(50);
    }
  }
});
