import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startDockerWithWharf, type DockerWithWharf } from '../helpers/docker-wharf.ts';
import type { Dockerd } from '../helpers/dockerd.ts';
import type { Credentials } from '../helpers/registry-login.ts';
import { tmpDir } from '../helpers/tmp.ts';
import {
  dockerTrustClient, loadUniqueImage, pushedDigest, requireDockerCli, type DockerTrustClient,
} from '../helpers/trust-clients.ts';
import type { TrustTarget } from '../helpers/trust-target.ts';
import type { WharfInstance } from '../helpers/wharf.ts';

const MANIFEST_ACCEPT = 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json';

// Signed push = push + sign (issue 4, spec 3): docker 28 with DOCKER_CONTENT_TRUST=1 and a real
// dockerd, logged in as identities whose rights come from role assignments and a scoped token made
// through the management API. The image push goes through the daemon (content/write); the trust
// publish goes through the CLI's notary client (content/sign), and one can land without the other.
describe('DCT signed push by role (docker 28, own dockerd, Wharf with auth)', { timeout: 300_000 }, () => {
  let wharf: WharfInstance;
  let dockerd: Dockerd;
  let host: string;
  let work: Awaited<ReturnType<typeof tmpDir>>;
  let e2e: DockerWithWharf | undefined;
  const users = {
    signer: { username: 'signer', password: 'signer-password-1' },
    pusher: { username: 'pusher', password: 'pusher-password-1' },
  } satisfies Record<string, Credentials>;
  let tokenLogin: Credentials;

  /** A management API call as the owner (wharf.fetch logs in) that must answer `status`. */
  async function api<T = any>(method: string, path: string, body: unknown, status: number): Promise<T> {
    const res = await wharf.fetch(path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    assert.equal(res.status, status, `${method} ${path}: ${text}`);
    return JSON.parse(text) as T;
  }
  const gun = (repo: string) => `${host}/e2e/${repo}`;
  const ref = (repo: string, tag: string) => `${gun(repo)}:${tag}`;
  const context = () => `--- registry\n${wharf.output().slice(-4000)}`;

  /** A docker CLI with trust on, in its own DOCKER_CONFIG, logged in (docker login) as `who`. */
  async function clientAs(who: Credentials): Promise<DockerTrustClient> {
    const target: TrustTarget = {
      kind: 'wharf', registryHost: wharf.host, registryPort: wharf.port, caPem: wharf.caPem!, credentials: who,
      fetchRegistry: wharf.fetch, fetchTrust: wharf.fetch, output: wharf.output, stop: wharf.stop,
    };
    const c = await dockerTrustClient({ target, registryAlias: host, dockerHost: dockerd.host, context });
    e2e!.defer(() => c.remove());
    return c;
  }
  /** What the registry serves for repo:tag, as the owner sees it (wharf.fetch): status and digest. */
  async function manifestOf(repo: string, tag: string): Promise<{ status: number; digest: string | null }> {
    const res = await wharf.fetch(`/v2/e2e/${repo}/manifests/${tag}`, { method: 'HEAD', headers: { accept: MANIFEST_ACCEPT } });
    return { status: res.status, digest: res.headers.get('docker-content-digest') };
  }
  /** The GUN's current targets.json bytes as the owner reads them ('' when there is none). */
  async function targetsOf(repo: string): Promise<{ status: number; body: string }> {
    const res = await wharf.fetch(`/v2/${gun(repo)}/_trust/tuf/targets.json`);
    return { status: res.status, body: await res.text() };
  }

  before(async () => {
    await requireDockerCli();
    e2e = await startDockerWithWharf({ env: { WHARF_AUTH__ENABLED: 'true', WHARF_TRUST__POLICY: 'enabled' } });
    ({ wharf, dockerd, host } = e2e);
    assert.ok(wharf.credentials, 'startWharf() runs with authentication on and knows the owner login');
    work = await tmpDir('wharf-e2e-trust-roles-');
    e2e!.defer(() => work.remove());

    const { id: registryId } = await api<{ id: string }>('GET', '/api/registry', undefined, 200);
    for (const u of Object.values(users)) await api('POST', '/api/users', { userPrincipalName: u.username, password: u.password }, 201);
    const assign = (assignee: string, role: string, scope: string) => api('POST', '/api/roleAssignments', { assignee, role, scope }, 201);
    await assign('signer', 'AcrPush', `${registryId}/repositories/e2e/*`);
    await assign('signer', 'AcrImageSigner', `${registryId}/repositories/e2e/*`);
    await assign('pusher', 'AcrPush', registryId);
    const token = await api<{ credentials: { passwords: Array<{ name: string; value: string }> } }>('POST', '/api/tokens', {
      name: 'ci-signer', repositories: { 'e2e/by-token': ['content/read', 'content/write', 'content/sign'] },
    }, 201);
    const password1 = token.credentials.passwords.find((p) => p.name === 'password1')?.value;
    assert.ok(password1, JSON.stringify(token));
    tokenLogin = { username: 'ci-signer', password: password1 };
  });

  after(() => e2e?.stop());

  it('a user with AcrPush + AcrImageSigner pushes and signs ("Successfully signed")', async () => {
    const signer = await clientAs(users.signer);
    await loadUniqueImage(signer, work.path, ref('app', '1'));
    const push = await signer.must(['push', ref('app', '1')]);
    assert.match(push.stdout, new RegExp(`Successfully signed ${ref('app', '1')}`));
    const digest = pushedDigest(push.stdout, '1');
    const inspect = JSON.parse((await signer.must(['trust', 'inspect', gun('app')])).stdout) as Array<{ SignedTags: Array<{ SignedTag: string; Digest: string }> }>;
    assert.deepEqual(inspect[0]?.SignedTags.map((t) => [t.SignedTag, `sha256:${t.Digest}`]), [['1', digest]]);
  });

  it('a user with AcrPush only: the image lands, the signing step fails with an authorization error', async () => {
    const pusher = await clientAs(users.pusher);
    await loadUniqueImage(pusher, work.path, ref('unsigned', '1'));
    const push = await pusher.run(['push', ref('unsigned', '1')]);
    assert.notEqual(push.code, 0, `a push without sign rights signed:\n${push.stdout}`);
    assert.match(push.stderr, /you are not authorized to perform this operation/, push.stderr);
    const landed = await manifestOf('unsigned', '1');
    assert.equal(landed.status, 200, 'the image push itself needs only content/write and must land');
    assert.equal(landed.digest, pushedDigest(push.stdout, '1'));
    assert.equal((await targetsOf('unsigned')).status, 404, 'no trust data may be written');
  });

  it('AcrPush only on a signed repository: the new tag lands unsigned and the existing trust data is untouched', async () => {
    const before = await targetsOf('app');
    assert.equal(before.status, 200, before.body);
    const pusher = await clientAs(users.pusher);
    await loadUniqueImage(pusher, work.path, ref('app', '2'));
    const push = await pusher.run(['push', ref('app', '2')]);
    assert.notEqual(push.code, 0, `a push without sign rights signed:\n${push.stdout}`);
    assert.equal((await manifestOf('app', '2')).status, 200);
    assert.deepEqual(await targetsOf('app'), before);
  });

  it('a scoped token with content/sign pushes and signs', async () => {
    const tokenClient = await clientAs(tokenLogin);
    await loadUniqueImage(tokenClient, work.path, ref('by-token', 'v1'));
    const push = await tokenClient.must(['push', ref('by-token', 'v1')]);
    assert.match(push.stdout, new RegExp(`Successfully signed ${ref('by-token', 'v1')}`));
    // The token's scope map covers e2e/by-token only: pushing elsewhere is refused outright.
    await loadUniqueImage(tokenClient, work.path, ref('app', 'from-token'));
    const elsewhere = await tokenClient.run(['push', ref('app', 'from-token')]);
    assert.notEqual(elsewhere.code, 0);
    assert.equal((await manifestOf('app', 'from-token')).status, 404);
  });
});
