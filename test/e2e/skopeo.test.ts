import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dockerArchive, ociImage, ociIndex, randomLayer, readOciLayout, sha256, writeOciLayout, type Blob } from '../helpers/images.ts';
import { startE2eRegistry, type E2eRegistry } from '../helpers/e2e-registry.ts';
import { describeFailure, requireTools, run, type RunResult } from '../helpers/run.ts';
import { unpackTar } from '../helpers/tar.ts';
import { tmpDir } from '../helpers/tmp.ts';

const ACCEPT = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');

// The registry CA reaches skopeo only through --src-cert-dir / --dest-cert-dir / --cert-dir
// (a directory holding ca.crt); TLS verification is never turned off.
describe('skopeo copy to and from the registry (CA via --*-cert-dir)', { timeout: 300_000 }, () => {
  let registry: E2eRegistry;
  let work: Awaited<ReturnType<typeof tmpDir>>;
  let certDir: string;
  let env: NodeJS.ProcessEnv;
  const cleanups: Array<() => Promise<void>> = [];
  const path = (name: string) => join(work.path, name);

  /** Runs skopeo with our own policy and fails with its full output unless it exits 0. */
  const skopeo = async (...args: string[]): Promise<RunResult> => {
    const full = ['--policy', path('policy.json'), ...args];
    const res = await run('skopeo', full, { env });
    if (res.code !== 0) assert.fail(`${describeFailure('skopeo', full, res)}\n--- registry\n${registry.output().slice(-4000)}`);
    return res;
  };

  before(async () => {
    requireTools('skopeo');
    registry = await startE2eRegistry();
    cleanups.push(() => registry.stop());
    work = await tmpDir('wharf-e2e-skopeo-');
    cleanups.push(() => work.remove());
    certDir = path('certs');
    await mkdir(certDir);
    await writeFile(join(certDir, 'ca.crt'), registry.caPem);
    await writeFile(path('policy.json'), JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }));
    await writeFile(path('registries.conf'), '');
    // Every call reads the login that `skopeo login` writes into this auth file.
    env = { ...process.env, CONTAINERS_REGISTRIES_CONF: path('registries.conf'), REGISTRY_AUTH_FILE: path('auth.json') };
    if (registry.credentials) {
      const { username, password } = registry.credentials;
      const login = ['login', '--cert-dir', certDir, '-u', username, '--password-stdin', registry.host];
      const res = await run('skopeo', login, { env, input: password });
      if (res.code !== 0) assert.fail(describeFailure('skopeo', login, res));
    }
  });

  after(async () => {
    const errors: unknown[] = [];
    for (const cleanup of cleanups.reverse()) await cleanup().catch((e: unknown) => errors.push(e));
    if (errors.length > 0) throw new AggregateError(errors, 'e2e cleanup failed');
  });

  it('refuses the registry certificate without the CA (TLS really is verified)', async () => {
    const res = await run('skopeo', ['--policy', path('policy.json'), 'inspect', '--raw', `docker://${registry.host}/e2e/none:1`], { env });
    assert.notEqual(res.code, 0, res.stdout);
    assert.match(res.stderr, /x509: certificate signed by unknown authority/);
  });

  it('copies an OCI layout in and out with byte-identical manifest and blobs', async () => {
    const image = ociImage([randomLayer(2, 512 * 1024), randomLayer(1, 256 * 1024), randomLayer(1, 64 * 1024)]);
    await writeOciLayout(path('x-src'), image.manifest, image.blobs, '1');
    const ref = `docker://${registry.host}/e2e/x:1`;
    await skopeo('copy', '--preserve-digests', '--dest-cert-dir', certDir, `oci:${path('x-src')}:1`, ref);

    await assertServed('/v2/e2e/x/manifests/1', image.manifest);
    for (const b of [image.config, ...image.layers]) await assertServed(`/v2/e2e/x/blobs/${b.digest}`, b);
    assert.equal((await skopeo('inspect', '--raw', '--cert-dir', certDir, ref)).stdout, image.manifest.bytes.toString('utf8'));

    await skopeo('copy', '--preserve-digests', '--src-cert-dir', certDir, ref, `oci:${path('x-out')}:1`);
    const out = await readOciLayout(path('x-out'), '1');
    assert.equal(out.top.digest, image.manifest.digest);
    assertSameBlobs(out.blobs, image.blobs);
  });

  it('copies a docker-archive in and out with the same config and layer bytes', async () => {
    const layers = [randomLayer(2, 256 * 1024), randomLayer(1, 128 * 1024)];
    const archive = dockerArchive(layers, 'e2e/arch:1');
    await writeFile(path('arch-in.tar'), archive.tar);
    const ref = `docker://${registry.host}/e2e/arch:1`;
    await skopeo('copy', '--dest-cert-dir', certDir, `docker-archive:${path('arch-in.tar')}`, ref);

    const manifest = JSON.parse((await skopeo('inspect', '--raw', '--cert-dir', certDir, ref)).stdout) as { config: { digest: string } };
    assert.equal(manifest.config.digest, archive.imageId);

    await skopeo('copy', '--src-cert-dir', certDir, ref, `docker-archive:${path('arch-out.tar')}:e2e/arch:1`);
    const files = unpackTar(await readFile(path('arch-out.tar')));
    const file = (name: string) => files.get(name) ?? assert.fail(`no ${name} in archive: ${[...files.keys()].join(', ')}`);
    const [entry] = JSON.parse(file('manifest.json').toString('utf8')) as Array<{ Config: string; Layers: string[] }>;
    assert.ok(entry);
    assert.equal(sha256(file(entry.Config)), archive.imageId);
    assert.equal(entry.Layers.length, layers.length);
    entry.Layers.forEach((name, i) => assert.ok(file(name).equals(layers[i]!), `layer ${i} differs`));
  });

  it('copies a two-platform OCI index with --multi-arch all, serving the exact index and each child', async () => {
    const shared = randomLayer(1, 256 * 1024);
    const amd64 = { architecture: 'amd64', os: 'linux' };
    const arm64 = { architecture: 'arm64', os: 'linux', variant: 'v8' };
    const images = [
      { image: ociImage([shared, randomLayer(1, 128 * 1024)], amd64), platform: amd64 },
      { image: ociImage([shared, randomLayer(1, 128 * 1024)], arm64), platform: arm64 },
    ];
    const { index, blobs } = ociIndex(images);
    await writeOciLayout(path('idx-src'), index, blobs, '1');
    const ref = `docker://${registry.host}/e2e/multiarch:1`;
    await skopeo('copy', '--multi-arch', 'all', '--preserve-digests', '--dest-cert-dir', certDir, `oci:${path('idx-src')}:1`, ref);

    assert.equal((await skopeo('inspect', '--raw', '--cert-dir', certDir, ref)).stdout, index.bytes.toString('utf8'));
    await assertServed('/v2/e2e/multiarch/manifests/1', index);
    for (const { image, platform } of images) {
      await assertServed(`/v2/e2e/multiarch/manifests/${image.manifest.digest}`, image.manifest);
      const child = `docker://${registry.host}/e2e/multiarch@${image.manifest.digest}`;
      assert.equal((await skopeo('inspect', '--raw', '--cert-dir', certDir, child)).stdout, image.manifest.bytes.toString('utf8'));
      const chosen = await skopeo('--override-arch', platform.architecture, 'inspect', '--cert-dir', certDir, ref);
      const seen = JSON.parse(chosen.stdout) as { Digest: string; Architecture: string; Layers: string[] };
      assert.equal(seen.Digest, index.digest);
      assert.equal(seen.Architecture, platform.architecture);
      assert.deepEqual(seen.Layers, image.layers.map((l) => l.digest));
    }

    await skopeo('copy', '--all', '--preserve-digests', '--src-cert-dir', certDir, ref, `oci:${path('idx-out')}:1`);
    const out = await readOciLayout(path('idx-out'), '1');
    assert.equal(out.top.digest, index.digest);
    assertSameBlobs(out.blobs, blobs);
  });

  /** GET returns exactly the blob's bytes, with its digest in Docker-Content-Digest. */
  async function assertServed(urlPath: string, expected: Blob): Promise<void> {
    const res = await registry.fetch(urlPath, { headers: { accept: ACCEPT } });
    const body = Buffer.from(await res.arrayBuffer());
    assert.equal(res.status, 200, `GET ${urlPath}`);
    assert.equal(res.headers.get('docker-content-digest'), expected.digest, `GET ${urlPath}`);
    assert.ok(body.equals(expected.bytes), `GET ${urlPath} returned different bytes`);
  }
});

/** The layout holds exactly these blobs, byte for byte. */
function assertSameBlobs(actual: Map<string, Buffer>, expected: readonly Blob[]): void {
  const wanted = new Map(expected.map((b) => [b.digest, b.bytes]));
  assert.deepEqual([...actual.keys()].sort(), [...wanted.keys()].sort());
  for (const [digest, bytes] of wanted) assert.ok(actual.get(digest)!.equals(bytes), `blob ${digest} differs`);
}
