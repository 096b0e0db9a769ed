// The role matrix of shared/specs/access-and-policy.md sections 2-4, end to end over HTTP: every kind of
// identity against every operation, through the endpoints clients use, at registry and repository scope.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { RequestInit, Response } from 'undici';
import { SourceAddress } from '../helpers/auth-fixtures.ts';
import { OWNER_PASSWORD, basic, forEachAuthBackend, type ApiClient } from '../helpers/management-api.ts';
import { descriptorOf, imageManifest, layerBlob, locationPath, MEDIA, pushImage, pushManifest, withQuery, type PushedImage, type Registry } from '../helpers/oci.ts';
import { captureState, assertUnchanged, initRepo, nextTargets, publish, tufPath, type TrustRepo, type TrustServer } from '../helpers/trust-api.ts';

const ROLES = ['Owner', 'Contributor', 'Reader', 'AcrPush', 'AcrPull', 'AcrDelete', 'AcrImageSigner'] as const;
type Role = (typeof ROLES)[number];

/** Operations on one repository (its image and its GUN's trust data). */
const REPO_OPS = ['pull', 'readTrust', 'push', 'delete', 'sign', 'manageAccess'] as const;
type RepoOp = (typeof REPO_OPS)[number];
/** Operations on the registry resource (management API at registry scope). */
const REGISTRY_OPS = ['viewSettings', 'changeSetting', 'manageAccess'] as const;
type RegistryOp = (typeof REGISTRY_OPS)[number];

/** `team/app` matches both repository-scope assignments, `team/lib` only `team/*`, `other/app` neither. */
const REPOS = ['team/app', 'team/lib', 'other/app'] as const;
type Repo = (typeof REPOS)[number];

// Spec 3, written out here rather than read from src/auth/roles.ts, so that a wrong role there fails.
const DATA_PLANE: Record<Role, readonly RepoOp[]> = {
  Owner: ['pull', 'readTrust', 'push', 'delete', 'sign'],
  Contributor: ['pull', 'readTrust', 'push', 'delete', 'sign'],
  Reader: ['pull', 'readTrust'],
  AcrPush: ['pull', 'readTrust', 'push'], // delete: referrers only, and these manifests have no subject
  AcrPull: ['pull', 'readTrust'],
  AcrDelete: ['delete'],
  AcrImageSigner: ['readTrust', 'sign'],
};
const MANAGEMENT: Record<Role, readonly RegistryOp[]> = {
  Owner: ['viewSettings', 'changeSetting', 'manageAccess'],
  Contributor: ['viewSettings', 'changeSetting'],
  Reader: ['viewSettings'],
  AcrPush: [], AcrPull: [], AcrDelete: [], AcrImageSigner: [],
};

type Outcome = 'allowed' | 'denied';
/** Each outcome keyed `<repo> <op>` or `registry <op>`, so that a failure lists every cell that differs. */
type Table = Record<string, Outcome>;

interface Identity {
  readonly name: string;
  /** Anonymous requests answer 401 on /api; identified callers lacking the right, 403. */
  readonly anonymous?: boolean;
  /** The expected table. */
  readonly expected: Table;
  /** The Authorization of data-plane requests (an access token for every scope the matrix uses) and of /api requests. */
  login(ctx: MatrixContext): Promise<{ v2?: string; api?: string }>;
}

function table(allowed: (repo: Repo | 'registry', op: RepoOp | RegistryOp) => boolean): Table {
  const out: Table = {};
  for (const repo of REPOS) for (const op of REPO_OPS) out[`${repo} ${op}`] = allowed(repo, op) ? 'allowed' : 'denied';
  for (const op of REGISTRY_OPS) out[`registry ${op}`] = allowed('registry', op) ? 'allowed' : 'denied';
  return out;
}

/** `team/app`, `team/*` (the `/*` pattern rules of spec 4), or the registry when undefined. */
function covers(pattern: string | undefined, repo: Repo): boolean {
  if (pattern === undefined) return true;
  return pattern.endsWith('/*') ? repo.startsWith(pattern.slice(0, -1)) : repo === pattern;
}

/** A user holding `role` at the registry or at repositories matching `pattern` (spec 3: data plane only there, Owner manages access at its scope). */
function roleUser(role: Role, pattern?: string): Identity {
  const name = `mx-${role.toLowerCase()}${pattern === undefined ? '' : `-${pattern.replace('/*', '-any').replace('/', '-')}`}`;
  return {
    name: `${role} at ${pattern ?? 'registry'} scope`,
    expected: table((repo, op) => {
      if (repo === 'registry') return pattern === undefined && (MANAGEMENT[role] as readonly string[]).includes(op);
      if (!covers(pattern, repo)) return false;
      return op === 'manageAccess' ? role === 'Owner' : (DATA_PLANE[role] as readonly string[]).includes(op);
    }),
    async login(ctx) {
      const password = `${name}-password`;
      await ctx.owner('POST', '/api/users', { userPrincipalName: name, password }, 201);
      await ctx.owner('POST', '/api/roleAssignments', { assignee: name, role, scope: ctx.scope(pattern) }, 201);
      const refresh = await ctx.api.refreshToken(name, password);
      return { v2: `Bearer ${await ctx.refreshGrant(refresh)}`, api: `Bearer ${refresh}` };
    },
  };
}

/** A scoped token created through the API with a system scope map or inline repositories; `actions` is what the table expects on covered repositories. */
function scopedToken(name: string, map: string | Record<string, string[]>, covered: (repo: Repo) => boolean, actions: readonly RepoOp[]): Identity {
  return {
    name: `scoped token ${name} (${typeof map === 'string' ? map : JSON.stringify(map)})`,
    expected: table((repo, op) => repo !== 'registry' && covered(repo) && (actions as readonly string[]).includes(op)),
    async login(ctx) {
      const token = await ctx.owner('POST', '/api/tokens', { name, ...(typeof map === 'string' ? { scopeMap: map } : { repositories: map }) }, 201);
      const auth = basic(name, token.credentials.passwords[0].value);
      return { v2: `Bearer ${await ctx.basicToken(auth)}`, api: auth };
    },
  };
}

const IDENTITIES: readonly Identity[] = [
  ...ROLES.map((role) => roleUser(role)),
  ...ROLES.map((role) => roleUser(role, 'team/app')),
  ...ROLES.map((role) => roleUser(role, 'team/*')),
  {
    // Spec 2: data plane only (the five content and metadata actions), never sign, no management API.
    name: 'admin account',
    expected: table((repo, op) => repo !== 'registry' && ['pull', 'readTrust', 'push', 'delete'].includes(op)),
    async login(ctx) {
      await ctx.owner('PATCH', '/api/registry', { adminUserEnabled: true }, 200);
      const creds = await ctx.owner('GET', '/api/registry/credentials', undefined, 200);
      const auth = basic(creds.username, creds.passwords[0].value);
      return { v2: `Bearer ${await ctx.basicToken(auth)}`, api: auth };
    },
  },
  scopedToken('mx-token-push', '_repositories_push', () => true, ['pull', 'readTrust', 'push']),
  // content/sign alone: trust data read and written, image content neither (spec 3 "Signed push = push + sign", spec 4).
  scopedToken('mx-token-sign', { 'team/app': ['content/sign'] }, (repo) => repo === 'team/app', ['readTrust', 'sign']),
  { name: 'anonymous, anonymous pull off', anonymous: true, expected: table(() => false), login: async () => ({}) },
];

/** With anonymous pull on, callers without credentials pull and read trust data everywhere, nothing else (docs/auth.md). */
const ANONYMOUS_PULL: Identity = {
  name: 'anonymous, anonymous pull on', anonymous: true,
  expected: table((repo, op) => repo !== 'registry' && (op === 'pull' || op === 'readTrust')),
  login: async () => ({}),
};

interface MatrixContext {
  readonly api: ApiClient;
  /** A management API call as the owner (refresh token) that must answer `status`; the body. */
  owner(method: string, path: string, body: unknown, status: number): Promise<any>;
  scope(pattern?: string): string;
  /** An access token for every scope the matrix uses, from a refresh token (POST refresh grant). */
  refreshGrant(refreshToken: string): Promise<string>;
  /** The same from Basic credentials (GET /oauth2/token). */
  basicToken(authorization: string): Promise<string>;
}

interface Answer {
  readonly status: number;
  readonly text: string;
}

/** Asserts the answer has `allowedStatus` or `deniedStatus`; which one it was. */
function statusOutcome(answer: Answer, allowedStatus: number, deniedStatus: number, what: string): Outcome {
  if (answer.status === allowedStatus) return 'allowed';
  assert.equal(answer.status, deniedStatus, `${what}: expected ${allowedStatus} or ${deniedStatus}, got ${answer.status}: ${answer.text.slice(0, 300)}`);
  return 'denied';
}

/** The token field of a 200 token endpoint answer. */
async function tokenOf(res: Response, field: 'token' | 'access_token'): Promise<string> {
  const text = await res.text();
  assert.equal(res.status, 200, text);
  const token = (JSON.parse(text) as Record<string, unknown>)[field];
  assert.equal(typeof token, 'string', text);
  return token as string;
}

forEachAuthBackend('role matrix over HTTP', ({ api }) => {
  let source: SourceAddress;
  let ownerRefresh: string;
  let ownerRegistry: Registry & TrustServer;
  const images = new Map<Repo, PushedImage>();
  const trust = new Map<Repo, TrustRepo>();
  let serial = 0;

  const ctx: MatrixContext = {
    api,
    async owner(method, path, body, status) {
      const res = await api.call(method, path, { auth: `Bearer ${ownerRefresh}`, body });
      assert.equal(res.status, status, `${method} ${path}: ${JSON.stringify(res.body)}`);
      return res.body;
    },
    scope: (pattern) => (pattern === undefined ? api.registryId : `${api.registryId}/repositories/${pattern}`),
    async refreshGrant(refreshToken) {
      const form = new URLSearchParams({ grant_type: 'refresh_token', service: api.wharf.host, client_id: 'matrix', refresh_token: refreshToken });
      for (const scope of allScopes()) form.append('scope', scope);
      const res = await source.as().fetch('/oauth2/token', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() });
      return tokenOf(res, 'access_token');
    },
    async basicToken(authorization) {
      const query = new URLSearchParams({ service: api.wharf.host });
      for (const scope of allScopes()) query.append('scope', scope);
      return tokenOf(await source.as(authorization).fetch(`/oauth2/token?${query}`), 'token');
    },
  };

  /** What docker and notary ask for each repository and its GUN (spec 1.6); the token holds the intersection with the identity's rights. */
  const allScopes = () => REPOS.flatMap((repo) => [`repository:${repo}:pull,push,delete`, `repository:${gunOf(repo)}:pull,push`]);
  const gunOf = (repo: Repo) => `${api.wharf.host}/${repo}`;

  before(async () => {
    source = new SourceAddress(api.wharf, '127.0.0.61');
    ownerRefresh = await api.refreshToken('owner', OWNER_PASSWORD);
    ownerRegistry = api.wharf;
    await ctx.owner('POST', '/api/users', { userPrincipalName: 'mx-target', password: 'mx-target-password' }, 201);
    for (const repo of REPOS) {
      images.set(repo, await pushImage(ownerRegistry, repo, { reference: 'v1' }));
      trust.set(repo, await initRepo(ownerRegistry, gunOf(repo)));
    }
  });
  after(async () => {
    await source?.close();
  });

  /** Asserts `res` has `allowedStatus` or the denial status; which one it was. */
  async function outcomeOf(res: Response, allowedStatus: number, deniedStatus: number, what: string): Promise<Outcome> {
    return statusOutcome({ status: res.status, text: await res.text() }, allowedStatus, deniedStatus, what);
  }

  /** A manifest of the repository's v1 blobs that no other test pushed (valid for any push). */
  function freshManifest(repo: Repo) {
    const image = images.get(repo)!;
    return imageManifest({ config: descriptorOf(image.config), layers: image.layers.map((l) => descriptorOf(l)), annotations: { 'mx.serial': String(++serial) } });
  }

  const REPO_OPERATIONS: Record<RepoOp, (as: Registry, repo: Repo, apiAuth: string | undefined, anonymous: boolean) => Promise<Outcome>> = {
    async pull(as, repo) {
      const res = await as.fetch(`/v2/${repo}/manifests/v1`, { headers: { accept: MEDIA.ociManifest } });
      const outcome = await outcomeOf(res, 200, 401, `pull ${repo}`);
      if (outcome === 'allowed') assert.equal(res.headers.get('docker-content-digest'), images.get(repo)!.manifest.digest);
      return outcome;
    },
    async readTrust(as, repo) {
      return outcomeOf(await as.fetch(tufPath(gunOf(repo), 'targets.json')), 200, 401, `read trust ${repo}`);
    },
    async push(as, repo) {
      const layer = layerBlob(64);
      const manifest = freshManifest(repo);
      const tag = `mx-${serial}`;
      const started = await as.fetch(`/v2/${repo}/blobs/uploads/`, { method: 'POST' });
      const upload = await outcomeOf(started, 202, 401, `start upload to ${repo}`);
      if (upload === 'allowed') {
        const put = await as.fetch(withQuery(locationPath(as, started.headers.get('location')), { digest: layer.digest }), {
          method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: layer.bytes,
        });
        assert.equal(await outcomeOf(put, 201, 401, `finish upload to ${repo}`), 'allowed');
      }
      const outcome = await outcomeOf(await pushManifestAs(as, repo, tag, manifest), 201, 401, `manifest PUT to ${repo}`);
      assert.equal(outcome, upload, `${repo}: blob upload ${upload} but manifest PUT ${outcome}`);
      // Written exactly when allowed: the blob and the tag, as the owner sees them.
      const blob = await ownerRegistry.fetch(`/v2/${repo}/blobs/${layer.digest}`, { method: 'HEAD' });
      const tagged = await ownerRegistry.fetch(`/v2/${repo}/manifests/${tag}`, { method: 'HEAD', headers: { accept: MEDIA.ociManifest } });
      const expected = outcome === 'allowed' ? 200 : 404;
      assert.deepEqual([blob.status, tagged.status], [expected, expected], `${repo}: after a ${outcome} push, blob and tag`);
      return outcome;
    },
    async delete(as, repo) {
      const manifest = freshManifest(repo);
      await pushManifest(ownerRegistry, repo, manifest.digest, manifest);
      const outcome = await outcomeOf(await as.fetch(`/v2/${repo}/manifests/${manifest.digest}`, { method: 'DELETE' }), 202, 401, `delete in ${repo}`);
      const left = await ownerRegistry.fetch(`/v2/${repo}/manifests/${manifest.digest}`, { method: 'HEAD', headers: { accept: MEDIA.ociManifest } });
      assert.equal(left.status, outcome === 'allowed' ? 404 : 200, `${repo}: manifest after a ${outcome} delete`);
      return outcome;
    },
    async sign(as, repo) {
      const state = trust.get(repo)!;
      const before = await captureState(ownerRegistry, state.gun);
      const targets = nextTargets(state);
      const outcome = await outcomeOf(await publish({ ...ownerRegistry, fetch: as.fetch }, state.gun, [targets]), 200, 401, `publish to ${repo}`);
      if (outcome === 'denied') {
        await assertUnchanged(ownerRegistry, state.gun, before);
      } else {
        state.targets = targets;
        const now = await ownerRegistry.fetch(tufPath(state.gun, 'targets.json'));
        assert.ok(Buffer.from(await now.arrayBuffer()).equals(targets.bytes), `${repo}: the published targets are served`);
      }
      return outcome;
    },
    async manageAccess(_as, repo, apiAuth, anonymous) {
      return manageAccessAt(ctx.scope(repo), apiAuth, anonymous);
    },
  };

  function pushManifestAs(as: Registry, repo: string, tag: string, manifest: ReturnType<typeof freshManifest>): Promise<Response> {
    return as.fetch(`/v2/${repo}/manifests/${tag}`, { method: 'PUT', headers: { 'content-type': manifest.mediaType }, body: manifest.bytes });
  }

  /** POST an assignment at `scope` as the identity; one that was made is removed again at once, so the identity's run ends as it started. */
  async function manageAccessAt(scope: string, apiAuth: string | undefined, anonymous: boolean): Promise<Outcome> {
    const res = await apiCall('POST', '/api/roleAssignments', apiAuth, { assignee: 'mx-target', role: 'AcrPull', scope });
    const outcome = statusOutcome(res, 201, anonymous ? 401 : 403, `assign at ${scope}`);
    if (outcome === 'allowed') await ctx.owner('DELETE', `/api/roleAssignments/${(JSON.parse(res.text) as { name: string }).name}`, undefined, 204);
    return outcome;
  }

  const REGISTRY_OPERATIONS: Record<RegistryOp, (apiAuth: string | undefined, anonymous: boolean) => Promise<Outcome>> = {
    async viewSettings(apiAuth, anonymous) {
      return statusOutcome(await apiCall('GET', '/api/registry', apiAuth), 200, anonymous ? 401 : 403, 'view the registry');
    },
    async changeSetting(apiAuth, anonymous) {
      const current = (await ctx.owner('GET', '/api/registry', undefined, 200)).anonymousPullEnabled as boolean;
      const res = await apiCall('PATCH', '/api/registry', apiAuth, { anonymousPullEnabled: !current });
      const outcome = statusOutcome(res, 200, anonymous ? 401 : 403, 'change a registry setting');
      if (outcome === 'allowed') {
        assert.equal(JSON.parse(res.text).anonymousPullEnabled, !current);
        await ctx.owner('PATCH', '/api/registry', { anonymousPullEnabled: current }, 200);
      }
      return outcome;
    },
    async manageAccess(apiAuth, anonymous) {
      return manageAccessAt(ctx.scope(), apiAuth, anonymous);
    },
  };

  /** A management API request from the matrix's source address. */
  async function apiCall(method: string, path: string, auth: string | undefined, body?: unknown): Promise<Answer> {
    const init: RequestInit = { method, ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }) };
    const response = await source.as(auth).fetch(path, init);
    return { status: response.status, text: await response.text() };
  }

  /** Runs every operation as `who`; the management state (settings, assignments) must end as it began. */
  async function run(who: Identity): Promise<Table> {
    const { v2, api: apiAuth } = await who.login(ctx);
    const as = source.as(v2);
    const stateBefore = await managementState();
    const actual: Table = {};
    // The repositories are independent of each other: one at a time each, all three at once.
    await Promise.all(REPOS.map(async (repo) => {
      for (const op of REPO_OPS) actual[`${repo} ${op}`] = await REPO_OPERATIONS[op](as, repo, apiAuth, who.anonymous === true);
    }));
    for (const op of REGISTRY_OPS) actual[`registry ${op}`] = await REGISTRY_OPERATIONS[op](apiAuth, who.anonymous === true);
    assert.deepEqual(await managementState(), stateBefore, 'refused management requests wrote nothing (and allowed ones were undone)');
    return actual;
  }

  async function managementState(): Promise<unknown> {
    const [registry, assignments] = await Promise.all([
      ctx.owner('GET', '/api/registry', undefined, 200),
      ctx.owner('GET', '/api/roleAssignments?all=true', undefined, 200),
    ]);
    return { registry, assignments };
  }

  for (const who of IDENTITIES) {
    it(who.name, async () => {
      assert.deepEqual(await run(who), who.expected);
    });
  }

  it(ANONYMOUS_PULL.name, async () => {
    await ctx.owner('PATCH', '/api/registry', { anonymousPullEnabled: true }, 200);
    try {
      assert.deepEqual(await run(ANONYMOUS_PULL), ANONYMOUS_PULL.expected);
    } finally {
      await ctx.owner('PATCH', '/api/registry', { anonymousPullEnabled: false }, 200);
    }
  });
}, { WHARF_TRUST__POLICY: 'enabled' });
