import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { startWharf, type WharfInstance } from '../helpers/wharf.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { waitFor } from '../helpers/net.ts';
import { locationPath, pushImage, sha256, startUpload, uniqueRepo, withQuery } from '../helpers/oci.ts';

/** Starts a request whose body we feed by hand, so the server can be killed mid-body. */
function streamingRequest(reg: WharfInstance, path: string, method: string, headers: Record<string, string>) {
  const body = new PassThrough();
  const response = reg
    .fetch(path, { method, headers, body, duplex: 'half' })
    .then((r) => r.status)
    .catch(() => 'aborted' as const);
  return { body, response };
}

describe('kill -9 during uploads and manifest PUTs', () => {
  it('leaves nothing partial visible, loses nothing committed, resumes the upload and cleans leftovers', async (t) => {
    const data = await tmpDir('wharf-kill-');
    t.after(() => data.remove());
    let reg = await startWharf({ dataDir: data.path });
    t.after(() => reg.stop());
    const repo = uniqueRepo('kill');

    const committed = await pushImage(reg, repo, { reference: 'v1', layers: 2 });
    const firstChunk = randomBytes(256 * 1024);
    const secondChunk = randomBytes(256 * 1024);
    const upload = await startUpload(reg, repo);
    const patched = await reg.fetch(upload, {
      method: 'PATCH',
      headers: { 'content-type': 'application/octet-stream', 'content-range': `0-${firstChunk.length - 1}` },
      body: firstChunk,
    });
    assert.equal(patched.status, 202);

    // In flight when the server dies: a second chunk, a monolithic blob and a manifest body.
    const bigBlob = randomBytes(8 * 1024 * 1024);
    const chunk = streamingRequest(reg, upload, 'PATCH', { 'content-type': 'application/octet-stream' });
    const monolithic = streamingRequest(reg, withQuery(`/v2/${repo}/blobs/uploads/`, { digest: sha256(bigBlob) }), 'POST', {
      'content-type': 'application/octet-stream',
      'content-length': String(bigBlob.length),
    });
    const manifestBytes = Buffer.from(committed.manifest.bytes.toString().replace('{', '{"annotations":{"k":"v"},'));
    const manifest = streamingRequest(reg, `/v2/${repo}/manifests/v2`, 'PUT', {
      'content-type': committed.manifest.mediaType,
      'content-length': String(manifestBytes.length),
    });
    chunk.body.write(secondChunk.subarray(0, 100_000));
    monolithic.body.write(bigBlob.subarray(0, 4 * 1024 * 1024));
    manifest.body.write(manifestBytes.subarray(0, 50));
    await waitFor('bytes to reach the server', async () => (await uploadedBytes(data.path)) >= 4 * 1024 * 1024 + 100_000);
    await reg.kill();
    assert.equal(await monolithic.response, 'aborted');

    reg = await startWharf({ dataDir: data.path, port: reg.port });
    // Nothing partial is visible.
    assert.equal((await reg.fetch(`/v2/${repo}/blobs/${sha256(bigBlob)}`, { method: 'HEAD' })).status, 404);
    assert.equal((await reg.fetch(`/v2/${repo}/manifests/v2`, { method: 'HEAD' })).status, 404);
    // Everything committed is intact, byte for byte.
    const got = await reg.fetch(`/v2/${repo}/manifests/v1`, { headers: { accept: committed.manifest.mediaType } });
    assert.deepEqual(Buffer.from(await got.arrayBuffer()), committed.manifest.bytes);
    for (const layer of committed.layers) {
      const blob = await reg.fetch(`/v2/${repo}/blobs/${layer.digest}`);
      assert.equal(sha256(Buffer.from(await blob.arrayBuffer())), layer.digest);
    }
    // The upload resumes at the last acknowledged chunk.
    const status = await reg.fetch(upload);
    assert.equal(status.status, 204);
    assert.equal(status.headers.get('range'), `0-${firstChunk.length - 1}`);
    const resumed = await reg.fetch(locationPath(reg, status.headers.get('location')), {
      method: 'PATCH',
      headers: { 'content-type': 'application/octet-stream', 'content-range': `${firstChunk.length}-${firstChunk.length + secondChunk.length - 1}` },
      body: secondChunk,
    });
    assert.equal(resumed.status, 202);
    const whole = Buffer.concat([firstChunk, secondChunk]);
    const done = await reg.fetch(withQuery(upload, { digest: sha256(whole) }), { method: 'PUT' });
    assert.equal(done.status, 201);
    const fetched = await reg.fetch(`/v2/${repo}/blobs/${sha256(whole)}`);
    assert.equal(sha256(Buffer.from(await fetched.arrayBuffer())), sha256(whole));
    // Start-up emptied the scratch area.
    assert.deepEqual(readdirSync(join(data.path, 'storage', 'tmp')), []);
  });
});

/** Bytes held in the upload area, to know that request bodies reached the server. */
async function uploadedBytes(dataDir: string): Promise<number> {
  const { stat } = await import('node:fs/promises');
  const dir = join(dataDir, 'storage', 'uploads');
  let total = 0;
  for (const name of readdirSync(dir)) total += (await stat(join(dir, name))).size;
  return total;
}
