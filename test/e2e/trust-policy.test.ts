import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startDockerWithWharf, type DockerWithWharf } from '../helpers/docker-wharf.ts';
import type { Dockerd } from '../helpers/dockerd.ts';
import { describeFailure, requireTools, run, type RunResult } from '../helpers/run.ts';
import { tmpDir } from '../helpers/tmp.ts';
import {
  dockerTrustClient, loadUniqueImage, pushedDigest, requireDockerCli, type DockerTrustClient,
} from '../helpers/trust-clients.ts';
import type { TrustTarget } from '../helpers/trust-target.ts';
import { sha256Hex } from '../helpers/tuf.ts';
import { wharfCli, type WharfCli } from '../helpers/wharf-cli.ts';
import type { WharfInstance } from '../helpers/wharf.ts';

// The content trust policy (spec 5) with real clients: the wharf CLI switches it, docker 28 with a
// real dockerd pushes and pulls with and without DOCKER_CONTENT_TRUST, skopeo copies. Wharf starts
// with the default policy (disabled) and authentication on; every client logs in as the owner.
// The steps build on each other (signed images, moved tags, wiped trust data), so they run in order.
describe('content trust policy with docker 28, skopeo and the wharf CLI', { timeout: 600_000 }, () => {
  let wharf: WharfInstance;
  let dockerd: Dockerd;
  let cli: WharfCli;
  let host: string;
  let work: Awaited<ReturnType<typeof tmpDir>>;
  let owner: DockerTrustClient;
  let skopeoEnv: NodeJS.ProcessEnv;
  let certDir: string;
  let e2e: DockerWithWharf | undefined;
  /** What each signed push signed: digest and local image id. */
  const signed = new Map<string, { digest: string; imageId: string }>();

  const context = () => `--- registry\n${wharf.output().slice(-4000)}`;
  const gun = (repo: string) => `${host}/e2e/${repo}`;
  const ref = (repo: string, tag: string) => `${gun(repo)}:${tag}`;
  const signedOf = (repo: string, tag: string) => signed.get(`${repo}:${tag}`) ?? assert.fail(`${repo}:${tag} was not signed`);

  /** A docker CLI with DOCKER_CONTENT_TRUST=1 in its own DOCKER_CONFIG, logged in as the owner. */
  async function client(): Promise<DockerTrustClient> {
    const target: TrustTarget = {
      kind: 'wharf', registryHost: wharf.host, registryPort: wharf.port, caPem: wharf.caPem!, credentials: wharf.credentials!,
      fetchRegistry: wharf.fetch, fetchTrust: wharf.fetch, output: wharf.output, stop: wharf.stop,
    };
    const c = await dockerTrustClient({ target, registryAlias: host, dockerHost: dockerd.host, context });
    e2e!.defer(() => c.remove());
    return c;
  }
  /** `wharf <args>` that must exit 0. */
  async function wharfMust(...args: string[]): Promise<RunResult> {
    const res = await cli.run(args);
    assert.equal(res.code, 0, `wharf ${args.join(' ')} exited ${res.code}\n${res.stdout}\n${res.stderr}\n${context()}`);
    return res;
  }
  async function setPolicy(status: string): Promise<RunResult> {
    const res = await wharfMust('config', 'content-trust', 'update', '--status', status, ...(status === 'disabled' ? ['--yes'] : []));
    assert.deepEqual(JSON.parse(res.stdout), { status, type: 'Notary' });
    return res;
  }
  /** Loads a new image as repo:tag and pushes it with trust; remembers what was signed. */
  async function pushSigned(c: DockerTrustClient, repo: string, tag: string): Promise<string> {
    const imageId = await loadUniqueImage(c, work.path, ref(repo, tag));
    const push = await c.must(['push', ref(repo, tag)]);
    assert.match(push.stdout, new RegExp(`Successfully signed ${ref(repo, tag)}`));
    const digest = pushedDigest(push.stdout, tag) ?? assert.fail(`no digest in push output:\n${push.stdout}`);
    signed.set(`${repo}:${tag}`, { digest, imageId });
    return digest;
  }
  /** Loads a new image as repo:tag and pushes it without trust; its digest and image id. */
  async function pushUnsigned(repo: string, tag: string): Promise<{ digest: string; imageId: string }> {
    const imageId = await loadUniqueImage(owner, work.path, ref(repo, tag));
    const push = await owner.must(['push', '--disable-content-trust', ref(repo, tag)]);
    return { digest: pushedDigest(push.stdout, tag) ?? assert.fail(`no digest in push output:\n${push.stdout}`), imageId };
  }
  /** `docker pull` with content trust off (as docker 29+, containerd and Kubernetes pull). */
  const plainPull = (r: string) => owner.run(['pull', '--disable-content-trust', r]);
  const imageIdOf = async (r: string) => (await owner.must(['image', 'inspect', '--format', '{{.Id}}', r])).stdout.trim();
  /** Removes local images so that the next pull really fetches. */
  const forget = async (...refs: string[]) => {
    for (const r of refs) await owner.run(['rmi', '--force', r]);
  };

  const skopeo = (...args: string[]) => run('skopeo', ['--policy', join(work.path, 'policy.json'), ...args], { env: skopeoEnv });
  /** `skopeo copy` of repo:tag into a directory (which keeps the manifest bytes as served); the copied manifest's digest. */
  async function skopeoCopy(repo: string, tag: string): Promise<RunResult & { digest?: string }> {
    const out = join(work.path, `dir-${repo}-${tag}-${Date.now()}`);
    const res = await skopeo('copy', '--src-cert-dir', certDir, `docker://${wharf.host}/e2e/${repo}:${tag}`, `dir:${out}`);
    return res.code === 0 ? { ...res, digest: `sha256:${sha256Hex(await readFile(join(out, 'manifest.json')))}` } : res;
  }

  before(async () => {
    await requireDockerCli();
    requireTools('skopeo');
    e2e = await startDockerWithWharf({ env: { WHARF_AUTH__ENABLED: 'true' } });
    ({ wharf, dockerd, host } = e2e);
    assert.ok(wharf.credentials, 'startWharf() runs with authentication on and knows the owner login');
    work = await tmpDir('wharf-e2e-trust-policy-');
    e2e!.defer(() => work.remove());
    cli = await wharfCli();
    e2e!.defer(() => cli.remove());
    await wharfMust('login', wharf.host, '-u', 'owner', '-p', wharf.credentials!.password, '--ca-file', wharf.caFile!);
    owner = await client();

    certDir = join(work.path, 'certs');
    await mkdir(certDir);
    await writeFile(join(certDir, 'ca.crt'), wharf.caPem!);
    await writeFile(join(work.path, 'policy.json'), JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }));
    await writeFile(join(work.path, 'registries.conf'), '');
    skopeoEnv = { ...process.env, CONTAINERS_REGISTRIES_CONF: join(work.path, 'registries.conf'), REGISTRY_AUTH_FILE: join(work.path, 'auth.json') };
    const login = ['login', '--cert-dir', certDir, '-u', wharf.credentials!.username, '--password-stdin', wharf.host];
    const res = await run('skopeo', login, { env: skopeoEnv, input: wharf.credentials!.password });
    if (res.code !== 0) assert.fail(describeFailure('skopeo', login, res));
  });

  after(() => e2e?.stop());

  it('disabled (the default): a DCT push lands the image but signing fails with "trust data unavailable"', async () => {
    assert.equal((await wharfMust('config', 'content-trust', 'show', '--query', 'status', '-o', 'tsv')).stdout, 'disabled\n');
    await loadUniqueImage(owner, work.path, ref('early', 'v1'));
    const push = await owner.run(['push', ref('early', 'v1')]);
    assert.notEqual(push.code, 0, `a DCT push signed while content trust is disabled:\n${push.stdout}`);
    assert.match(push.stderr, /timestamp key trust data unavailable\.\s+Has a notary repository been initialized\?/);
    assert.ok(pushedDigest(push.stdout, 'v1'), `the image push itself must land:\n${push.stdout}`);
  });

  it('enable: a DCT push signs, a DCT pull resolves through trust data; unsigned tags stay pullable without DCT', async () => {
    await setPolicy('enabled');
    const digest = await pushSigned(owner, 'app', 'v1');
    await forget(ref('app', 'v1'));
    const pull = await owner.must(['pull', ref('app', 'v1')]);
    assert.match(pull.stdout, new RegExp(`Pull \\(1 of 1\\): ${ref('app', 'v1')}@${digest}`));
    assert.equal(await imageIdOf(ref('app', 'v1')), signedOf('app', 'v1').imageId);

    const unsigned = await pushUnsigned('app', 'unsigned');
    await forget(ref('app', 'unsigned'));
    const dct = await owner.run(['pull', ref('app', 'unsigned')]);
    assert.notEqual(dct.code, 0);
    assert.match(dct.stderr, /No valid trust data for unsigned/);
    // enabled changes nothing for clients that do not verify (as ACR).
    const plain = await plainPull(ref('app', 'unsigned'));
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stdout, new RegExp(`Digest: ${unsigned.digest}`));
    await pushUnsigned('plain', 'v1');
  });

  it('enforced: plain docker pull and skopeo copy of an unsigned tag, or of a repository without trust data, are refused', async () => {
    await setPolicy('enforced');
    await forget(ref('app', 'unsigned'), ref('plain', 'v1'));
    for (const [repo, tag] of [['app', 'unsigned'], ['plain', 'v1']] as const) {
      const pull = await plainPull(ref(repo, tag));
      assert.notEqual(pull.code, 0, `plain pull of unsigned ${repo}:${tag} succeeded:\n${pull.stdout}`);
      assert.match(pull.stderr, new RegExp(`manifest for ${ref(repo, tag)} not found: manifest unknown: tag ${tag} is not signed: the registry's content trust policy \\(enforced\\) serves only signed content`));
      const copy = await skopeoCopy(repo, tag);
      assert.notEqual(copy.code, 0, `skopeo copied unsigned ${repo}:${tag}`);
      assert.match(copy.stderr, new RegExp(`reading manifest ${tag} in ${wharf.host}/e2e/${repo}: manifest unknown: tag ${tag} is not signed`));
    }
  });

  it('enforced: a signed tag moved by an unsigned push still gives docker and skopeo the signed digest', async () => {
    const { digest, imageId } = signedOf('app', 'v1');
    const moved = await pushUnsigned('app', 'v1');
    assert.notEqual(moved.digest, digest, 'the unsigned push did not move the tag');

    const pull = await plainPull(ref('app', 'v1'));
    assert.equal(pull.code, 0, pull.stderr);
    assert.match(pull.stdout, new RegExp(`Digest: ${digest}`));
    assert.equal(await imageIdOf(ref('app', 'v1')), imageId, 'plain pull got the unsigned image');
    const copy = await skopeoCopy('app', 'v1');
    assert.equal(copy.code, 0, copy.stderr);
    assert.equal(copy.digest, digest);
    // A DCT pull agrees.
    const dct = await owner.must(['pull', ref('app', 'v1')]);
    assert.match(dct.stdout, new RegExp(`@${digest}`));
  });

  it('disable with --yes: all trust data is gone (a DCT pull finds none), every image stays pullable', async () => {
    const res = await setPolicy('disabled');
    assert.equal(res.stderr, 'wharf: deleted the trust data of 1 repository (images are kept)\n');
    const consumer = await client();
    const dct = await consumer.run(['pull', ref('app', 'v1')]);
    assert.notEqual(dct.code, 0);
    assert.match(dct.stderr, new RegExp(`does not have trust data for ${gun('app')}`));
    const inspect = await consumer.run(['trust', 'inspect', gun('app')]);
    assert.notEqual(inspect.code, 0);
    assert.match(inspect.stderr, new RegExp(`no signatures or cannot access ${gun('app')}`));

    // Serving is back to the registry's tags: v1 is the unsigned push now; the signed image by digest.
    await forget(ref('app', 'v1'), ref('app', 'unsigned'), ref('plain', 'v1'), `${gun('app')}@${signedOf('app', 'v1').digest}`);
    for (const r of [ref('app', 'v1'), ref('app', 'unsigned'), ref('plain', 'v1'), ref('early', 'v1'), `${gun('app')}@${signedOf('app', 'v1').digest}`]) {
      const pull = await plainPull(r);
      assert.equal(pull.code, 0, `${r} is no longer pullable:\n${pull.stderr}`);
    }
    assert.equal(await imageIdOf(`${gun('app')}@${signedOf('app', 'v1').digest}`), signedOf('app', 'v1').imageId);
    for (const [repo, tag] of [['app', 'v1'], ['app', 'unsigned'], ['plain', 'v1']] as const) {
      const copy = await skopeoCopy(repo, tag);
      assert.equal(copy.code, 0, `skopeo copy of ${repo}:${tag}: ${copy.stderr}`);
    }
  });

  it('repository trust reset: one repository loses its trust data (and can be signed anew with new keys), the others keep theirs', async () => {
    await setPolicy('enabled');
    await pushSigned(owner, 'reset-me', 'v1');
    const kept = await pushSigned(owner, 'keep-me', 'v1');
    const reset = await wharfMust('repository', 'trust', 'reset', '--repository', 'e2e/reset-me', '--yes');
    assert.deepEqual(JSON.parse(reset.stdout), { repository: 'e2e/reset-me', trustDataDeleted: true });

    const consumer = await client();
    const gone = await consumer.run(['pull', ref('reset-me', 'v1')]);
    assert.notEqual(gone.code, 0);
    assert.match(gone.stderr, new RegExp(`does not have trust data for ${gun('reset-me')}`));
    const keep = await consumer.must(['pull', ref('keep-me', 'v1')]);
    assert.match(keep.stdout, new RegExp(`Pull \\(1 of 1\\): ${ref('keep-me', 'v1')}@${kept}`));
    await forget(ref('reset-me', 'v1'));
    const plain = await plainPull(ref('reset-me', 'v1'));
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stdout, new RegExp(`Digest: ${signedOf('reset-me', 'v1').digest}`));

    // The way back after losing the root key: someone with new keys signs the repository afresh.
    const newSigner = await client();
    const digest = await pushSigned(newSigner, 'reset-me', 'v2');
    const fresh = await client();
    const pull = await fresh.must(['pull', ref('reset-me', 'v2')]);
    assert.match(pull.stdout, new RegExp(`@${digest}`));
  });
});
