import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { forwardIpv6Loopback, startDockerd, trustRegistryCa, type Dockerd } from '../helpers/dockerd.ts';
import { dockerArchive, randomLayer, sha256 } from '../helpers/images.ts';
import { dockerLogin, startE2eRegistry, type E2eRegistry } from '../helpers/e2e-registry.ts';
import { describeFailure, type RunResult } from '../helpers/run.ts';
import { unpackTar } from '../helpers/tar.ts';
import { tmpDir } from '../helpers/tmp.ts';

const MANIFEST_ACCEPT = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
].join(', ');

// dockerd never verifies TLS for 127.0.0.0/8 (always "insecure"), so it reaches the registry as
// localhost:<port> with localhost resolving to ::1 (its own /etc/hosts), forwarded to 127.0.0.1.
// The registry certificate names localhost; only /etc/docker/certs.d makes dockerd trust it.
describe('docker CLI push and pull (own dockerd, registry CA in /etc/docker/certs.d)', { timeout: 300_000 }, () => {
  let registry: E2eRegistry;
  let dockerd: Dockerd;
  let work: Awaited<ReturnType<typeof tmpDir>>;
  const cleanups: Array<() => Promise<void>> = [];
  let host: string;

  /** Runs docker and fails with its full output unless it exits 0. */
  const docker = async (...args: string[]): Promise<RunResult> => {
    const res = await dockerd.docker(args);
    if (res.code !== 0) assert.fail(`${describeFailure('docker', args, res)}\n--- registry\n${registry.output().slice(-4000)}`);
    return res;
  };

  before(async () => {
    registry = await startE2eRegistry();
    cleanups.push(() => registry.stop());
    cleanups.push(await forwardIpv6Loopback(registry.port));
    dockerd = await startDockerd({ hosts: '::1 localhost\n' });
    cleanups.push(() => dockerd.stop());
    work = await tmpDir('wharf-e2e-docker-');
    cleanups.push(() => work.remove());
    host = `localhost:${registry.port}`;
  });

  after(async () => {
    const errors: unknown[] = [];
    for (const cleanup of cleanups.reverse()) await cleanup().catch((e: unknown) => errors.push(e));
    if (errors.length > 0) throw new AggregateError(errors, 'e2e cleanup failed');
  });

  const layers = [randomLayer(2, 512 * 1024), randomLayer(3, 256 * 1024), randomLayer(1, 128 * 1024)];
  const archive = dockerArchive(layers, `e2e-src/multi:${Date.now()}`);
  let pushedDigest = '';

  it('refuses the registry certificate while its CA is not trusted (TLS really is verified)', async () => {
    await docker('load', '-i', await writeArchive());
    await docker('tag', archive.imageId, `${host}/e2e/untrusted:1`);
    const res = await dockerd.docker(['push', `${host}/e2e/untrusted:1`]);
    assert.notEqual(res.code, 0, `push without a trusted CA succeeded:\n${res.stdout}`);
    assert.match(res.stderr, /x509: certificate signed by unknown authority/);
  });

  async function writeArchive(): Promise<string> {
    const path = join(work.path, 'multi.tar');
    await writeFile(path, archive.tar);
    return path;
  }

  /** Removes every tag of the image so the next pull must download it. */
  async function removeImage(id: string): Promise<void> {
    await docker('rmi', '--force', id);
    const gone = await dockerd.docker(['image', 'inspect', id]);
    assert.notEqual(gone.code, 0, `image ${id} still present after rmi`);
  }

  /** Same image ID (config digest), same diff_ids, and `docker save` layers equal to the hand-made tars. */
  async function assertImageIsOriginal(ref: string): Promise<void> {
    const id = (await docker('image', 'inspect', '--format', '{{.Id}}', ref)).stdout.trim();
    assert.equal(id, archive.imageId);
    const diffIds = JSON.parse((await docker('image', 'inspect', '--format', '{{json .RootFS.Layers}}', ref)).stdout) as string[];
    assert.deepEqual(diffIds, archive.diffIds);
    const saved = await save(ref);
    assert.equal(sha256(saved.config), archive.imageId);
    assert.equal(saved.layers.length, layers.length);
    saved.layers.forEach((l, i) => assert.ok(l.equals(layers[i]!), `layer ${i} differs from the pushed tar`));
  }

  async function save(ref: string): Promise<{ config: Buffer; layers: Buffer[] }> {
    const path = join(work.path, `save-${Date.now()}.tar`);
    await docker('save', '-o', path, ref);
    const files = unpackTar(await readFile(path));
    const file = (name: string) => files.get(name) ?? assert.fail(`docker save has no ${name}: ${[...files.keys()].join(', ')}`);
    const [entry] = JSON.parse(file('manifest.json').toString('utf8')) as Array<{ Config: string; Layers: string[] }>;
    assert.ok(entry);
    return { config: file(entry.Config), layers: entry.Layers.map(file) };
  }

  describe('with the registry CA in /etc/docker/certs.d/<host:port>/ca.crt, logged in', () => {
    before(async () => {
      cleanups.push(await trustRegistryCa(host, registry.caPem));
      await dockerLogin(dockerd.docker, host, registry.credentials);
    });

    it('pushes a multi-layer image and reports the manifest digest the registry serves', async () => {
      await docker('tag', archive.imageId, `${host}/e2e/multi:1`);
      const push = await docker('push', `${host}/e2e/multi:1`);
      assert.equal(push.stdout.match(/: Pushed$/gm)?.length, layers.length, push.stdout);
      pushedDigest = pushDigest(push.stdout, '1');

      const res = await registry.fetch('/v2/e2e/multi/manifests/1', { headers: { accept: MANIFEST_ACCEPT } });
      const body = Buffer.from(await res.arrayBuffer());
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('docker-content-digest'), pushedDigest);
      assert.equal(sha256(body), pushedDigest);
      const manifest = JSON.parse(body.toString('utf8')) as { config: { digest: string }; layers: unknown[] };
      assert.equal(manifest.config.digest, archive.imageId);
      assert.equal(manifest.layers.length, layers.length);
    });

    it('pulls the image back after rmi with the same image ID and byte-identical layers', async () => {
      await removeImage(archive.imageId);
      const pull = await docker('pull', `${host}/e2e/multi:1`);
      assert.match(pull.stdout, new RegExp(`Digest: ${pushedDigest}`));
      assert.match(pull.stdout, /Downloaded newer image/);
      await assertImageIsOriginal(`${host}/e2e/multi:1`);
      const repoDigests = JSON.parse((await docker('image', 'inspect', '--format', '{{json .RepoDigests}}', archive.imageId)).stdout) as string[];
      assert.ok(repoDigests.includes(`${host}/e2e/multi@${pushedDigest}`), repoDigests.join(', '));
    });

    it('pulls by digest (repo@sha256:…) the image pushed by tag', async () => {
      await removeImage(archive.imageId);
      const ref = `${host}/e2e/multi@${pushedDigest}`;
      const pull = await docker('pull', ref);
      assert.match(pull.stdout, /Downloaded newer image/);
      await assertImageIsOriginal(ref);
    });

    it('pushes a second tag whose layers all already exist, with the same manifest digest', async () => {
      await docker('tag', archive.imageId, `${host}/e2e/multi:2`);
      const push = await docker('push', `${host}/e2e/multi:2`);
      assert.equal(push.stdout.match(/: Layer already exists$/gm)?.length, layers.length, push.stdout);
      assert.equal(pushDigest(push.stdout, '2'), pushedDigest);
    });

    it('pushes the image to another repository by mounting its layers', async () => {
      await docker('tag', archive.imageId, `${host}/e2e/other:1`);
      const push = await docker('push', `${host}/e2e/other:1`);
      assert.equal(push.stdout.match(/: Mounted from e2e\/multi$/gm)?.length, layers.length, push.stdout);
      assert.equal(pushDigest(push.stdout, '1'), pushedDigest);
      const res = await registry.fetch('/v2/e2e/other/manifests/1', { method: 'HEAD', headers: { accept: MANIFEST_ACCEPT } });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('docker-content-digest'), pushedDigest);
    });

    it('round-trips a single-layer image made by docker import', async () => {
      const layer = randomLayer(2, 256 * 1024);
      const tarPath = join(work.path, 'rootfs.tar');
      await writeFile(tarPath, layer);
      const id = (await docker('import', tarPath, `${host}/e2e/single:1`)).stdout.trim();
      const push = await docker('push', `${host}/e2e/single:1`);
      const digest = pushDigest(push.stdout, '1');
      await removeImage(id);
      await docker('pull', `${host}/e2e/single:1`);
      assert.equal((await docker('image', 'inspect', '--format', '{{.Id}}', `${host}/e2e/single:1`)).stdout.trim(), id);
      const saved = await save(`${host}/e2e/single:1`);
      assert.deepEqual(saved.layers.map(sha256), [sha256(layer)]);
      const res = await registry.fetch('/v2/e2e/single/manifests/1', { method: 'HEAD', headers: { accept: MANIFEST_ACCEPT } });
      assert.equal(res.headers.get('docker-content-digest'), digest);
    });
  });
});

/** The digest from docker push's last line: `<tag>: digest: sha256:… size: N`. */
function pushDigest(stdout: string, tag: string): string {
  const match = new RegExp(`^${tag}: digest: (sha256:[0-9a-f]{64}) size: \\d+$`, 'm').exec(stdout);
  assert.ok(match?.[1], `no digest line for ${tag} in push output:\n${stdout}`);
  return match[1];
}
