import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { forwardIpv6Loopback, startDockerd, trustRegistryCa, type Dockerd } from '../helpers/dockerd.ts';
import { mustRun } from '../helpers/run.ts';
import { tmpDir } from '../helpers/tmp.ts';
import {
  backupAndRestoreKeys, cachedMetadataPath, dockerTrustClient, keyFiles, loadUniqueImage, pushedDigest, requireDockerCli,
  type DockerTrustClient, type DockerTrustOptions,
} from '../helpers/trust-clients.ts';
import { startTrustTarget, type TrustTarget } from '../helpers/trust-target.ts';

const MANIFEST_ACCEPT = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
].join(', ');

interface TrustInspect {
  Name: string;
  SignedTags: Array<{ SignedTag: string; Digest: string; Signers: string[] }>;
  Signers: Array<{ Name: string; Keys: Array<{ ID: string }> }>;
  AdministrativeKeys: Array<{ Name: string; Keys: Array<{ ID: string }> }>;
}

// Docker Content Trust with the real docker 28 CLI and its own dockerd, against startTrustTarget()
// (Wharf by default; WHARF_E2E_TRUST=reference: docker-registry + notary-server). dockerd reaches
// the registry as localhost:<port> (::1, forwarded), trusting its CA only via /etc/docker/certs.d
// (see docker.test.ts); the CLI's notary client trusts it via <DOCKER_CONFIG>/tls/<host>/ca.crt.
// The steps build on each other (one owner, delegates alice and bob), so they run in order.
describe('docker CLI 28 with DOCKER_CONTENT_TRUST=1', { timeout: 170_000 }, () => {
  let target: TrustTarget;
  let dockerd: Dockerd;
  let work: Awaited<ReturnType<typeof tmpDir>>;
  let host: string;
  let owner: DockerTrustClient;
  const cleanups: Array<() => Promise<void>> = [];
  const signed = new Map<string, { digest: string; imageId: string }>();

  const context = () => `--- servers\n${target.output().slice(-4000)}`;
  const client = async (opts: Partial<DockerTrustOptions> = {}): Promise<DockerTrustClient> => {
    const c = await dockerTrustClient({ target, registryAlias: host, dockerHost: dockerd.host, context, ...opts });
    cleanups.push(() => c.remove());
    return c;
  };
  const ref = (repo: string, tag?: string) => `${host}/e2e/${repo}${tag === undefined ? '' : `:${tag}`}`;
  const inspect = async (c: DockerTrustClient, repo: string): Promise<TrustInspect> => {
    const [entry] = JSON.parse((await c.must(['trust', 'inspect', ref(repo)])).stdout) as TrustInspect[];
    return entry ?? assert.fail(`docker trust inspect ${ref(repo)} printed no entry`);
  };
  const signersOf = (info: TrustInspect, tag: string) => info.SignedTags.find((t) => t.SignedTag === tag)?.Signers ?? [];
  /** The digest the registry currently serves for repo:tag (without trust). */
  const registryDigest = async (repo: string, tag: string) => {
    const res = await target.fetchRegistry(`/v2/e2e/${repo}/manifests/${tag}`, { method: 'HEAD', headers: { accept: MANIFEST_ACCEPT } });
    assert.equal(res.status, 200);
    return res.headers.get('docker-content-digest');
  };
  const imageIdOf = async (c: DockerTrustClient, r: string) => (await c.must(['image', 'inspect', '--format', '{{.Id}}', r])).stdout.trim();

  /** Loads a new image as repo:tag and pushes it with trust; remembers the signed digest. */
  async function pushSigned(c: DockerTrustClient, repo: string, tag: string): Promise<string> {
    const imageId = await loadUniqueImage(c, work.path, ref(repo, tag));
    const push = await c.must(['push', ref(repo, tag)]);
    assert.match(push.stdout, /Signing and pushing trust metadata/);
    assert.match(push.stdout, new RegExp(`Successfully signed ${ref(repo, tag)}`));
    const digest = pushedDigest(push.stdout, tag) ?? assert.fail(`no digest in push output:\n${push.stdout}`);
    signed.set(`${repo}:${tag}`, { digest, imageId });
    return push.stdout;
  }
  const signedDigest = (repo: string, tag: string) => signed.get(`${repo}:${tag}`)?.digest ?? assert.fail(`${repo}:${tag} was not pushed`);

  before(async () => {
    await requireDockerCli();
    target = await startTrustTarget();
    cleanups.push(() => target.stop());
    cleanups.push(await forwardIpv6Loopback(target.registryPort));
    dockerd = await startDockerd({ hosts: '::1 localhost\n' });
    cleanups.push(() => dockerd.stop());
    work = await tmpDir('wharf-e2e-trust-docker-');
    cleanups.push(() => work.remove());
    host = `localhost:${target.registryPort}`;
    cleanups.push(await trustRegistryCa(host, target.caPem));
    owner = await client();
  });

  after(async () => {
    const errors: unknown[] = [];
    for (const cleanup of cleanups.reverse()) await cleanup().catch((e: unknown) => errors.push(e));
    if (errors.length > 0) throw new AggregateError(errors, 'e2e cleanup failed');
  });

  it('push signs a new repository ("Successfully signed"), creating a root key and a repository key', async () => {
    await pushSigned(owner, 'app', 'v1');
    const keys = await keyFiles(owner.trustDir);
    assert.deepEqual(keys.map((k) => [k.role, k.gun ?? '']).sort(), [['root', ''], ['targets', ref('app')]]);
    assert.ok(keys.every((k) => k.isEncrypted), 'key files must be encrypted');
    assert.equal((await stat(join(owner.trustDir, 'private'))).mode & 0o777, 0o700);
  });

  it('a later push to the same repository reuses its keys', async () => {
    const before = await keyFiles(owner.trustDir);
    await pushSigned(owner, 'app', 'v2');
    assert.deepEqual(await keyFiles(owner.trustDir), before);
    assert.deepEqual((await inspect(owner, 'app')).SignedTags.map((t) => t.SignedTag).sort(), ['v1', 'v2']);
  });

  it('a new repository reuses the root key (asked for its passphrase) and creates only a new repository key', async () => {
    const before = await keyFiles(owner.trustDir);
    const rootKey = before.find((k) => k.role === 'root') ?? assert.fail('no root key');
    // Root passphrase on stdin (one prompt, one line), repository passphrase from env: the output
    // proves which keys were asked for, and no "new root key" prompt appears.
    const prompted = await client({ configDir: owner.configDir });
    delete prompted.env['DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE'];
    await loadUniqueImage(prompted, work.path, ref('second', 'v1'));
    const push = await prompted.must(['push', ref('second', 'v1')], { input: 'e2e-root-passphrase\n' });
    assert.match(push.stdout, new RegExp(`Enter passphrase for root key with ID ${rootKey.id.slice(0, 7)}`));
    assert.doesNotMatch(push.stdout, /new root key/);
    assert.match(push.stdout, new RegExp(`Successfully signed ${ref('second', 'v1')}`));
    signed.set('second:v1', { digest: pushedDigest(push.stdout, 'v1') ?? assert.fail(push.stdout), imageId: '' });
    const added = (await keyFiles(owner.trustDir)).filter((k) => !before.some((b) => b.id === k.id));
    assert.deepEqual(added.map((k) => [k.role, k.gun]), [['targets', ref('second')]]);
  });

  it('pull by tag after rmi resolves the tag through trust data and pulls by digest', async () => {
    const { digest, imageId } = signed.get('app:v1') ?? assert.fail('app:v1 not pushed');
    await owner.must(['rmi', '--force', imageId]);
    const pull = await owner.must(['pull', ref('app', 'v1')]);
    assert.match(pull.stdout, new RegExp(`Pull \\(1 of 1\\): ${ref('app', 'v1')}@${digest}`));
    // docker 28 prints the re-tag to stderr.
    assert.match(pull.stdout + pull.stderr, new RegExp(`Tagging ${ref('app')}@${digest} as ${ref('app', 'v1')}`));
    assert.equal(await imageIdOf(owner, ref('app', 'v1')), imageId);
  });

  it('an unsigned tag fails with "No valid trust data for <tag>"', async () => {
    await loadUniqueImage(owner, work.path, ref('app', 'unsigned'));
    await owner.must(['push', '--disable-content-trust', ref('app', 'unsigned')]);
    await owner.must(['rmi', ref('app', 'unsigned')]);
    const pull = await owner.run(['pull', ref('app', 'unsigned')]);
    assert.notEqual(pull.code, 0);
    assert.match(pull.stderr, /No valid trust data for unsigned/);
    assert.notEqual((await owner.run(['image', 'inspect', ref('app', 'unsigned')])).code, 0, 'the unsigned image was pulled');
  });

  it('a repository without trust data fails with "does not have trust data"', async () => {
    await loadUniqueImage(owner, work.path, ref('plain', 'v1'));
    await owner.must(['push', '--disable-content-trust', ref('plain', 'v1')]);
    await owner.must(['rmi', ref('plain', 'v1')]);
    const pull = await owner.run(['pull', ref('plain', 'v1')]);
    assert.notEqual(pull.code, 0);
    assert.match(pull.stderr, new RegExp(`does not have trust data for ${ref('plain')}`));
    const info = await owner.run(['trust', 'inspect', ref('plain')]);
    assert.notEqual(info.code, 0);
    assert.match(info.stderr, new RegExp(`no signatures or cannot access ${ref('plain')}`));
  });

  it('a tag overwritten without trust still resolves to the signed digest', async () => {
    const { digest, imageId } = signed.get('app:v1') ?? assert.fail('app:v1 not pushed');
    const other = await loadUniqueImage(owner, work.path, ref('app', 'v1'));
    await owner.must(['push', '--disable-content-trust', ref('app', 'v1')]);
    assert.notEqual(await registryDigest('app', 'v1'), digest, 'the untrusted push did not move the tag');
    const pull = await owner.must(['pull', ref('app', 'v1')]);
    assert.match(pull.stdout, new RegExp(`@${digest}`));
    assert.equal(await imageIdOf(owner, ref('app', 'v1')), imageId);
    assert.notEqual(imageId, other);
  });

  it('corrupted cached targets metadata is replaced from the server, not trusted', async () => {
    const cached = cachedMetadataPath(owner.trustDir, ref('app'), 'targets');
    const original = await readFile(cached, 'utf8');
    await writeFile(cached, original.replace(signedDigest('app', 'v1').slice(7), signedDigest('app', 'v2').slice(7)));
    const pull = await owner.must(['pull', ref('app', 'v1')]);
    assert.match(pull.stdout, new RegExp(`@${signedDigest('app', 'v1')}`));
    const res = await target.fetchTrust(`/v2/${ref('app')}/_trust/tuf/targets.json`);
    assert.equal(res.status, 200);
    assert.equal(await readFile(cached, 'utf8'), await res.text());
  });

  it('a cached root whose signature is corrupted fails the pull instead of trusting the server anew', async () => {
    const consumer = await client();
    await consumer.must(['trust', 'inspect', ref('app')]);
    const cached = cachedMetadataPath(consumer.trustDir, ref('app'), 'root');
    const root = JSON.parse(await readFile(cached, 'utf8')) as { signatures: Array<{ sig: string }> };
    const sig = Buffer.from(root.signatures[0]?.sig ?? assert.fail('root has no signature'), 'base64');
    sig[0] = (sig[0] ?? 0) ^ 0xff;
    root.signatures[0]!.sig = sig.toString('base64');
    await writeFile(cached, JSON.stringify(root));
    const pull = await consumer.run(['pull', ref('app', 'v2')]);
    assert.notEqual(pull.code, 0, `pull with a tampered cached root succeeded:\n${pull.stdout}`);
  });

  it('docker trust inspect lists signed tags and keys; --pretty prints the tables', async () => {
    const info = await inspect(owner, 'app');
    assert.equal(info.Name, ref('app'));
    assert.deepEqual(info.SignedTags.map((t) => [t.SignedTag, `sha256:${t.Digest}`, t.Signers]).sort(), [
      ['v1', signedDigest('app', 'v1'), ['Repo Admin']],
      ['v2', signedDigest('app', 'v2'), ['Repo Admin']],
    ]);
    assert.deepEqual(info.Signers, []);
    assert.deepEqual(info.AdministrativeKeys.map((k) => [k.Name, k.Keys.length]), [['Root', 1], ['Repository', 1]]);
    const targetsKey = (await keyFiles(owner.trustDir)).find((k) => k.role === 'targets' && k.gun === ref('app'));
    assert.equal(info.AdministrativeKeys[1]?.Keys[0]?.ID, targetsKey?.id);
    const pretty = (await owner.must(['trust', 'inspect', '--pretty', ref('app')])).stdout;
    assert.match(pretty, new RegExp(`Signatures for ${ref('app')}`));
    assert.match(pretty, new RegExp(`v1\\s+${signedDigest('app', 'v1').slice(7)}\\s+\\(Repo Admin\\)`));
    assert.match(pretty, new RegExp(`Repository Key:\\s+${targetsKey?.id}`));
    const unsigned = await owner.must(['trust', 'inspect', '--pretty', ref('app', 'unsigned')]);
    assert.match(unsigned.stdout, new RegExp(`No signatures for ${ref('app', 'unsigned')}`));
  });

  it('docker trust sign by the owner pushes and signs a new tag of a local image', async () => {
    const imageId = await loadUniqueImage(owner, work.path, ref('app', 'v3'));
    const sign = await owner.must(['trust', 'sign', ref('app', 'v3')]);
    assert.match(sign.stderr + sign.stdout, new RegExp(`Signing and pushing trust data for local image ${ref('app', 'v3')}`));
    assert.match(sign.stdout, new RegExp(`Successfully signed ${ref('app', 'v3')}`));
    const digest = pushedDigest(sign.stdout, 'v3') ?? assert.fail(sign.stdout);
    signed.set('app:v3', { digest, imageId });
    assert.equal(await registryDigest('app', 'v3'), digest);
    assert.deepEqual(signersOf(await inspect(owner, 'app'), 'v3'), ['Repo Admin']);
  });

  let alice: DockerTrustClient;
  let bob: DockerTrustClient;

  it('docker trust key generate writes an encrypted delegation key and its public key', async () => {
    alice = await client();
    const dir = join(work.path, 'alice');
    await mkdir(dir);
    const gen = await alice.must(['trust', 'key', 'generate', 'alice', '--dir', dir]);
    assert.match(gen.stdout, new RegExp(`Successfully generated and loaded private key\\. Corresponding public key available: ${join(dir, 'alice.pub')}`));
    assert.match(await readFile(join(dir, 'alice.pub'), 'utf8'), /^-----BEGIN PUBLIC KEY-----\nrole: alice\n/);
    assert.deepEqual((await keyFiles(alice.trustDir)).map((k) => [k.role, k.isEncrypted]), [['alice', true]]);
  });

  it('docker trust key load imports an existing private key', async () => {
    bob = await client();
    const keyFile = join(work.path, 'bob.key');
    await mustRun('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', keyFile]);
    await mustRun('openssl', ['req', '-x509', '-new', '-key', keyFile, '-subj', '/CN=bob', '-days', '365', '-out', join(work.path, 'bob.crt')]);
    await chmod(keyFile, 0o600);
    const load = await bob.must(['trust', 'key', 'load', keyFile, '--name', 'bob']);
    assert.match(load.stdout, new RegExp(`Successfully imported key from ${keyFile}`));
    assert.deepEqual((await keyFiles(bob.trustDir)).map((k) => [k.role, k.isEncrypted]), [['bob', true]]);
  });

  it('docker trust signer add adds alice and bob as signers (targets/<name> and targets/releases)', async () => {
    for (const [name, key] of [['alice', join(work.path, 'alice', 'alice.pub')], ['bob', join(work.path, 'bob.crt')]] as const) {
      const add = await owner.must(['trust', 'signer', 'add', '--key', key, name, ref('app')]);
      assert.match(add.stdout, new RegExp(`Successfully added signer: ${name} to ${ref('app')}`));
    }
    const info = await inspect(owner, 'app');
    assert.deepEqual(info.Signers.map((s) => [s.Name, s.Keys.length]).sort(), [['alice', 1], ['bob', 1]]);
    assert.equal(info.Signers.find((s) => s.Name === 'alice')?.Keys[0]?.ID, (await keyFiles(alice.trustDir))[0]?.id);
  });

  it('docker trust sign by a delegate signs an existing tag into its roles', async () => {
    await bob.must(['trust', 'sign', ref('app', 'v2')]);
    const sign = await alice.must(['trust', 'sign', ref('app', 'v1')]);
    assert.match(sign.stdout, new RegExp(`Successfully signed ${ref('app', 'v1')}`));
    const info = await inspect(owner, 'app');
    assert.ok(signersOf(info, 'v1').includes('alice'), JSON.stringify(info.SignedTags));
    assert.ok(signersOf(info, 'v2').includes('bob'), JSON.stringify(info.SignedTags));
    if (target.kind === 'wharf') {
      // wharf repository show-tags --detail (/acr/v1) names the same signers for every tag it shows signed
      // (v1 is not: an unsigned push moved it).
      const res = await target.fetchRegistry('/acr/v1/e2e/app/_tags');
      assert.equal(res.status, 200);
      const tags = ((await res.json()) as { tags: Array<{ name: string; signed: boolean; signers: string[] }> }).tags.filter((t) => t.signed);
      assert.deepEqual(tags.find((t) => t.name === 'v2')?.signers, ['bob'], JSON.stringify(tags));
      for (const t of tags) assert.deepEqual(t.signers, [...signersOf(info, t.name)].sort(), `${t.name}: ${JSON.stringify(info.SignedTags)}`);
    }
    const pull = await alice.must(['pull', ref('app', 'v1')]);
    assert.match(pull.stdout, new RegExp(`@${signedDigest('app', 'v1')}`));
  });

  it('docker trust revoke removes the delegate signature of a tag', async () => {
    const revoke = await alice.must(['trust', 'revoke', '--yes', ref('app', 'v1')]);
    assert.match(revoke.stdout, new RegExp(`Successfully deleted signature for ${ref('app', 'v1')}`));
    const info = await inspect(owner, 'app');
    assert.ok(!signersOf(info, 'v1').includes('alice'), JSON.stringify(info.SignedTags));
    assert.deepEqual(signersOf(info, 'v1'), ['Repo Admin'], 'the owner signature stays');
  });

  it('docker trust signer remove drops the last releases signer (alice) after confirmation', async () => {
    // docker 28.2's signer remove only removes after a confirmed prompt, which it shows only for
    // the key that signed the latest targets/releases; otherwise (and with --force) it exits 0
    // having done nothing. alice signed releases last (the revoke), and the test answers the prompt.
    const remove = await owner.must(['trust', 'signer', 'remove', 'alice', ref('app')], { input: 'y\n' });
    assert.match(remove.stdout, new RegExp(`Successfully removed alice from ${ref('app')}`));
    const info = await inspect(owner, 'app');
    assert.deepEqual(info.Signers.filter((s) => s.Keys.length > 0).map((s) => s.Name), ['bob'], JSON.stringify(info.Signers));
  });

  it('keys backed up with umask 077 tar and restored into a fresh DOCKER_CONFIG sign again', async () => {
    const restored = await client();
    await backupAndRestoreKeys(owner.configDir, join(work.path, 'keys.tgz'), restored.configDir);
    assert.equal((await stat(join(work.path, 'keys.tgz'))).mode & 0o077, 0, 'backup readable by others');
    const keys = await keyFiles(restored.trustDir);
    assert.deepEqual(keys, await keyFiles(owner.trustDir));
    await pushSigned(restored, 'second', 'v2');
    assert.deepEqual(await keyFiles(restored.trustDir), keys, 'signing after restore created new keys');
  });

  it('a fresh consumer (empty DOCKER_CONFIG) trusts on first use and pulls by the signed digest', async () => {
    const consumer = await client();
    assert.deepEqual(await keyFiles(consumer.trustDir), []);
    const digest = signedDigest('second', 'v2');
    await owner.must(['rmi', '--force', signed.get('second:v2')?.imageId ?? '']);
    const pull = await consumer.must(['pull', ref('second', 'v2')]);
    assert.match(pull.stdout, new RegExp(`Pull \\(1 of 1\\): ${ref('second', 'v2')}@${digest}`));
    await stat(cachedMetadataPath(consumer.trustDir, ref('second'), 'root'));
    assert.deepEqual(await keyFiles(consumer.trustDir), [], 'a consumer needs no keys');
    const info = await inspect(consumer, 'second');
    assert.deepEqual(info.SignedTags.map((t) => t.SignedTag).sort(), ['v1', 'v2']);
  });
});
