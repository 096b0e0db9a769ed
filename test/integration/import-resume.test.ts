import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { caBundle, expectBlobs, expectManifest, importAndWait, importImage, type Operation } from '../helpers/import-flows.ts';
import { ApiClient, OWNER_PASSWORD } from '../helpers/management-api.ts';
import { freePort } from '../helpers/net.ts';
import { configBlob, descriptorOf, imageManifest, layerBlob, pushBlob, pushManifest, uniqueRepo } from '../helpers/oci.ts';
import { startReferenceRegistryWithAuth } from '../helpers/reference-registry-auth.ts';
import { startThrottleProxy, type ThrottleProxy } from '../helpers/throttle-proxy.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { startWharf, type StartOptions, type WharfInstance } from '../helpers/wharf.ts';

const LAYERS = 8;
const LAYER_BYTES = 1024 * 1024;

// An import cut short by a crash of the target (SIGKILL mid-copy) and run again after a restart:
// the operation survives the restart, ended as Failed (the copy does not survive); the blobs
// committed before the crash are skipped, the rest copied, and the image is whole.
describe('wharf import interrupted by a crash of the target Wharf', { timeout: 300_000 }, () => {
  let reference: Awaited<ReturnType<typeof startReferenceRegistryWithAuth>>;
  let proxy: ThrottleProxy;
  let target: WharfInstance;
  let bundle: { file: string; remove(): Promise<void> };
  let data: { path: string; remove(): Promise<void> };
  let targetOptions: StartOptions;
  const api = new ApiClient();

  before(async () => {
    reference = await startReferenceRegistryWithAuth({ username: 'importer', password: 'resume-password' });
    // 1 MiB/s per connection, three blobs at a time: the 8 MiB image takes about three seconds,
    // time enough to stop the target midway.
    proxy = await startThrottleProxy(reference.host, 1024 * 1024);
    bundle = await caBundle([reference.caPem]);
    data = await tmpDir('wharf-import-resume-');
    targetOptions = {
      dataDir: data.path,
      port: await freePort(),
      env: { WHARF_AUTH__ENABLED: 'true', WHARF_AUTH__OWNER_PASSWORD: OWNER_PASSWORD, WHARF_IMPORT__CA_FILE: bundle.file },
    };
    target = await startWharf(targetOptions);
    api.attach(target);
  });
  after(async () => {
    await api.close();
    await target?.stop();
    await proxy?.close();
    await reference?.stop();
    await bundle?.remove();
    await data?.remove();
  });

  it('ends the interrupted operation as Failed, skips the blobs copied before the crash and completes the image on the second run', async () => {
    const repo = uniqueRepo('import-resume');
    const config = configBlob();
    const layers = Array.from({ length: LAYERS }, () => layerBlob(LAYER_BYTES));
    for (const blob of [config, ...layers]) await pushBlob(reference, repo, blob.bytes);
    const manifest = imageManifest({ config: descriptorOf(config), layers: layers.map((l) => descriptorOf(l)) });
    await pushManifest(reference, repo, 'big', manifest);
    const into = uniqueRepo('import-resume-dst');
    const body = (host: string) => ({ source: { registryUri: host, sourceImage: `${repo}:big`, credentials: reference.credentials }, targetTags: [`${into}:big`] });

    const started = await importImage(api, body(proxy.host));
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const midway = await progressAtLeast(api, started.body.id, 3);
    assert.equal(midway.status, 'InProgress', `the copy ended before the crash: ${JSON.stringify(midway)}`);
    await target.kill();

    target = await startWharf(targetOptions);
    await api.close();
    api.attach(target);
    const interrupted = await api.call<Operation>('GET', `/api/operations/${started.body.id}`, { auth: await api.ownerAuth() });
    assert.equal(interrupted.status, 200, JSON.stringify(interrupted.body));
    assert.equal(interrupted.body.status, 'Failed');
    assert.deepEqual(interrupted.body.error, { code: 'Canceled', message: 'interrupted by a restart of Wharf; run the import again — layers already copied are skipped' });
    assert.match(interrupted.body.endTime ?? '', /^\d{4}-/);
    assert.equal((await target.fetch(`/v2/${into}/manifests/big`)).status, 404, 'no tag from the interrupted run');

    const resumed = await importAndWait(api, body(reference.host));
    assert.ok(resumed.progress.blobsSkipped >= midway.progress.blobsCopied, `skipped ${resumed.progress.blobsSkipped}, copied before the crash ${midway.progress.blobsCopied}`);
    assert.equal(resumed.progress.blobsSkipped + resumed.progress.blobsCopied, LAYERS + 1);
    assert.ok(resumed.progress.blobsCopied < LAYERS + 1, 'not everything was downloaded again');
    await expectManifest(target, into, 'big', manifest);
    await expectBlobs(target, into, manifest);
  });
});

/** Polls until the operation has copied `blobs` blobs or ended. */
async function progressAtLeast(api: ApiClient, id: string, blobs: number): Promise<Operation> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const res = await api.call<Operation>('GET', `/api/operations/${id}`, { auth: await api.ownerAuth() });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    if (res.body.progress.blobsCopied >= blobs || res.body.status !== 'InProgress') return res.body;
    assert.ok(Date.now() < deadline, `no progress: ${JSON.stringify(res.body)}`);
    await sleep(50);
  }
}
