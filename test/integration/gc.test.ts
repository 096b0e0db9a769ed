import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { startWharf, WHARF_BIN, type WharfInstance } from '../helpers/wharf.ts';
import { run } from '../helpers/run.ts';
import {
  configBlob, descriptorOf, imageManifest, pushArtifact, pushBlob, pushImage, pushManifest, randomBlob, sha256, startUpload, uniqueRepo,
} from '../helpers/oci.ts';

/** Runs `wharf gc` as a separate process against the serving instance's data directory. */
async function gc(reg: WharfInstance, opts: { dryRun?: boolean; graceSeconds?: number; uploadTtlSeconds?: number } = {}) {
  const args = [WHARF_BIN, 'gc', '--data', reg.dataDir, '--log-level', 'warn', ...(opts.dryRun ? ['--dry-run'] : [])];
  const env = { ...process.env, WHARF_GC__GRACE_SECONDS: String(opts.graceSeconds ?? 0), WHARF_GC__UPLOAD_TTL_SECONDS: String(opts.uploadTtlSeconds ?? 86400) };
  const res = await run(process.execPath, args, { env });
  assert.equal(res.code, 0, res.stderr);
  return res.stdout;
}

function blobFileExists(reg: WharfInstance, digest: string): boolean {
  const [alg, hex] = digest.split(':') as [string, string];
  return existsSync(join(reg.dataDir, 'storage', 'blobs', alg, hex.slice(0, 2), hex));
}

const head = async (reg: WharfInstance, path: string) => (await reg.fetch(path, { method: 'HEAD' })).status;

describe('wharf gc while the registry serves', () => {
  let reg: WharfInstance;
  before(async () => {
    reg = await startWharf();
  });
  after(() => reg.stop());

  it('reports in a dry run and removes on apply only blobs no manifest references', async () => {
    const repo = uniqueRepo('gc');
    const image = await pushImage(reg, repo, { reference: 'keep', layers: 2 });
    const stray = randomBlob(1000);
    await pushBlob(reg, repo, stray);

    const dry = await gc(reg, { dryRun: true });
    assert.match(dry, /unused blob links: [1-9]/);
    assert.equal(await head(reg, `/v2/${repo}/blobs/${sha256(stray)}`), 200);
    assert.ok(blobFileExists(reg, sha256(stray)));

    await gc(reg);
    assert.equal(await head(reg, `/v2/${repo}/blobs/${sha256(stray)}`), 404);
    assert.ok(!blobFileExists(reg, sha256(stray)));
    for (const blob of [image.config, ...image.layers]) {
      assert.equal(await head(reg, `/v2/${repo}/blobs/${blob.digest}`), 200);
      assert.ok(blobFileExists(reg, blob.digest));
    }
    assert.equal(await head(reg, `/v2/${repo}/manifests/keep`), 200);
  });

  it('spares blobs uploaded within the grace period (a push in flight)', async () => {
    const repo = uniqueRepo('gc-grace');
    const fresh = randomBlob(500);
    await pushBlob(reg, repo, fresh);
    await gc(reg, { graceSeconds: 3600 });
    assert.equal(await head(reg, `/v2/${repo}/blobs/${sha256(fresh)}`), 200);
    assert.ok(blobFileExists(reg, sha256(fresh)));
  });

  it('frees a deleted image and the referrers of its subject, but keeps blobs shared with another image', async () => {
    const repo = uniqueRepo('gc-delete');
    const doomed = await pushImage(reg, repo, { reference: 'old' });
    const kept = await pushImage(reg, repo, { reference: 'new' });
    const referrer = await pushArtifact(reg, repo, descriptorOf(doomed.manifest), { artifactType: 'application/x.sig' });
    const other = uniqueRepo('gc-other');
    // The same layer, used by an image of another repository, stays there.
    const config = configBlob();
    await pushBlob(reg, other, config.bytes);
    await pushBlob(reg, other, doomed.layers[0]!.bytes);
    await pushManifest(reg, other, 'uses-layer', imageManifest({ config: descriptorOf(config), layers: [descriptorOf(doomed.layers[0]!)] }));

    assert.equal((await reg.fetch(`/v2/${repo}/manifests/${doomed.manifest.digest}`, { method: 'DELETE' })).status, 202);
    await gc(reg);
    assert.equal(await head(reg, `/v2/${repo}/manifests/${referrer.manifest.digest}`), 404);
    assert.equal(await head(reg, `/v2/${repo}/blobs/${doomed.config.digest}`), 404);
    assert.ok(!blobFileExists(reg, doomed.config.digest));
    assert.equal(await head(reg, `/v2/${other}/blobs/${doomed.layers[0]!.digest}`), 200);
    assert.ok(blobFileExists(reg, doomed.layers[0]!.digest));
    assert.equal(await head(reg, `/v2/${repo}/manifests/new`), 200);
    assert.equal(await head(reg, `/v2/${repo}/blobs/${kept.layers[0]!.digest}`), 200);
  });

  it('removes idle uploads older than the upload TTL', async () => {
    const repo = uniqueRepo('gc-upload');
    const upload = await startUpload(reg, repo);
    assert.equal((await reg.fetch(upload)).status, 204);
    const uploadsDir = join(reg.dataDir, 'storage', 'uploads');
    const id = upload.split('/').pop()!.split('?')[0]!;
    assert.ok(readdirSync(uploadsDir).includes(id));
    await new Promise((r) => setTimeout(r, 1100));
    const out = await gc(reg, { uploadTtlSeconds: 1 });
    assert.match(out, /stale uploads: [1-9]/);
    assert.equal((await reg.fetch(upload)).status, 404);
    assert.ok(!readdirSync(uploadsDir).includes(id));
  });
});
