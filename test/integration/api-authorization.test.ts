import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { assign, expectArmError, forEachAuthBackend, makeUser, type ApiClient } from '../helpers/management-api.ts';

type Who = 'owner' | 'contributor' | 'reader' | 'push' | 'repoOwner' | 'none';
const EVERYONE: readonly Who[] = ['owner', 'contributor', 'reader', 'push', 'repoOwner', 'none'];

interface Case {
  readonly what: string;
  readonly request: (who: Who, api: ApiClient) => { method: string; path: string; body?: unknown };
  /** Who may (spec 3 columns); everyone else gets 403 AuthorizationFailed. */
  readonly allowed: readonly Who[];
  /** The status of an allowed call. */
  readonly status: number;
}

const at = (api: ApiClient, repo?: string) => (repo === undefined ? api.registryId : `${api.registryId}/repositories/${repo}`);

// An Owner at repository scope `mx/*` (permissionsAtScope) manages assignments there, nothing registry-wide.
const CASES: readonly Case[] = [
  { what: 'view the registry', request: () => ({ method: 'GET', path: '/api/registry' }), allowed: ['owner', 'contributor', 'reader'], status: 200 },
  { what: 'change registry settings', request: () => ({ method: 'PATCH', path: '/api/registry', body: { anonymousPullEnabled: false } }), allowed: ['owner', 'contributor'], status: 200 },
  { what: 'read admin credentials (disabled: 409)', request: () => ({ method: 'GET', path: '/api/registry/credentials' }), allowed: ['owner', 'contributor'], status: 409 },
  { what: 'list tokens', request: () => ({ method: 'GET', path: '/api/tokens' }), allowed: ['owner', 'contributor'], status: 200 },
  { what: 'list scope maps', request: () => ({ method: 'GET', path: '/api/scopeMaps' }), allowed: ['owner', 'contributor'], status: 200 },
  {
    what: 'create a token',
    request: (who) => ({ method: 'POST', path: '/api/tokens', body: { name: `mx-token-${who}`, scopeMap: '_repositories_pull', noPasswords: true } }),
    allowed: ['owner', 'contributor'], status: 201,
  },
  {
    what: 'create a scope map',
    request: (who) => ({ method: 'POST', path: '/api/scopeMaps', body: { name: `mx-map-${who}`, actions: ['repositories/x/content/read'] } }),
    allowed: ['owner', 'contributor'], status: 201,
  },
  { what: 'list registry-scope assignments', request: () => ({ method: 'GET', path: '/api/roleAssignments' }), allowed: ['owner', 'contributor', 'reader'], status: 200 },
  {
    what: 'list assignments at mx/app',
    request: (_who, api) => ({ method: 'GET', path: `/api/roleAssignments?scope=${encodeURIComponent(at(api, 'mx/app'))}` }),
    allowed: ['owner', 'contributor', 'reader', 'repoOwner'], status: 200,
  },
  {
    what: 'assign at registry scope',
    request: (who, api) => ({ method: 'POST', path: '/api/roleAssignments', body: { assignee: `mx-target-${who}`, role: 'AcrPull', scope: at(api) } }),
    allowed: ['owner'], status: 201,
  },
  {
    what: 'assign at mx/app',
    request: (who, api) => ({ method: 'POST', path: '/api/roleAssignments', body: { assignee: `mx-target-${who}`, role: 'AcrPush', scope: at(api, 'mx/app') } }),
    allowed: ['owner', 'repoOwner'], status: 201,
  },
  {
    what: 'assign at another repository',
    request: (who, api) => ({ method: 'POST', path: '/api/roleAssignments', body: { assignee: `mx-target-${who}`, role: 'AcrPush', scope: at(api, 'elsewhere') } }),
    allowed: ['owner'], status: 201,
  },
  { what: 'list users', request: () => ({ method: 'GET', path: '/api/users' }), allowed: ['owner', 'contributor', 'reader'], status: 200 },
  {
    what: 'create a user', request: (who) => ({ method: 'POST', path: '/api/users', body: { userPrincipalName: `mx-new-${who}` } }),
    allowed: ['owner'], status: 201,
  },
  {
    what: 'reset another user\'s password', request: (who) => ({ method: 'PATCH', path: `/api/users/mx-target-${who}`, body: { password: 'a-new-password' } }),
    allowed: ['owner'], status: 200,
  },
  {
    what: 'create a service principal', request: (who) => ({ method: 'POST', path: '/api/servicePrincipals', body: { name: `mx-sp-${who}` } }),
    allowed: ['owner'], status: 201,
  },
  { what: 'list service principals', request: () => ({ method: 'GET', path: '/api/servicePrincipals' }), allowed: ['owner', 'contributor', 'reader'], status: 200 },
];

forEachAuthBackend('management API authorization per role', ({ api }) => {
  /** Each role's refresh token as Bearer (one scrypt per user, not per request). */
  const auth = new Map<Who, string>();
  let pushBasic = '';

  before(async () => {
    const roles: [Who, string | undefined, string | undefined][] = [
      ['owner', 'Owner', undefined], ['contributor', 'Contributor', undefined], ['reader', 'Reader', undefined],
      ['push', 'AcrPush', undefined], ['repoOwner', 'Owner', 'mx/*'], ['none', undefined, undefined],
    ];
    for (const [who, role, repo] of roles) {
      const user = await makeUser(api, `mx-${who}`);
      auth.set(who, await api.bearer(`mx-${who}`, user.password));
      if (who === 'push') pushBasic = user.auth;
      await makeUser(api, `mx-target-${who}`);
      if (role !== undefined) await assign(api, `mx-${who}`, role, at(api, repo));
    }
  });

  for (const who of EVERYONE) {
    it(`${who}: refused (403, nothing written) exactly where its role does not reach`, async () => {
      const denied = CASES.filter((c) => !c.allowed.includes(who));
      const before = await api.state();
      for (const c of denied) {
        const { method, path, body } = c.request(who, api);
        const res = await api.call(method, path, { auth: auth.get(who)!, body });
        expectArmError(res, 403, 'AuthorizationFailed');
        assert.ok(res.body.error.message.includes(`mx-${who}`), `${c.what}: ${res.body.error.message}`);
      }
      assert.deepEqual(await api.state(), before);
      for (const c of CASES.filter((x) => x.allowed.includes(who))) {
        const { method, path, body } = c.request(who, api);
        const res = await api.call(method, path, { auth: auth.get(who)!, body });
        assert.equal(res.status, c.status, `${who} may ${c.what}: ${JSON.stringify(res.body)}`);
      }
    });
  }

  it('AcrPush holds push through the token service but nothing in the management API', async () => {
    assert.deepEqual(await api.grantedAccess(pushBasic, ['repository:mx/app:pull,push']), [{ type: 'repository', name: 'mx/app', actions: ['pull', 'push'] }]);
  });
});
