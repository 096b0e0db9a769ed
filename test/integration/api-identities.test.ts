import assert from 'node:assert/strict';
import { it } from 'node:test';
import { assign, basic, expectArmError, forEachAuthBackend, makeUser } from '../helpers/management-api.ts';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ACR_PUSH = '8311e382-0749-4cb8-b61a-304f252e45ec';

forEachAuthBackend('management API: users, service principals, role assignments', ({ api }) => {
  it('creates a user with a generated password shown once, lists, shows, updates and deletes it', async () => {
    const created = await api.ok('POST', '/api/users', { userPrincipalName: 'id-alice', displayName: 'Alice' });
    assert.match(created.objectId, GUID);
    assert.equal(typeof created.password, 'string');
    assert.deepEqual({ ...created, objectId: '', password: '' }, { accountEnabled: true, displayName: 'Alice', objectId: '', password: '', userPrincipalName: 'id-alice' });
    const shown = await api.ok('GET', '/api/users/id-alice');
    assert.deepEqual(shown, { accountEnabled: true, displayName: 'Alice', objectId: created.objectId, userPrincipalName: 'id-alice' });
    assert.deepEqual(await api.ok('GET', `/api/users/${created.objectId}`), shown);
    assert.ok((await api.ok('GET', '/api/users')).some((u: { userPrincipalName: string }) => u.userPrincipalName === 'id-alice'));
    assert.equal((await api.grantedAccess(basic('id-alice', created.password), [])).length, 0);
    const given = await api.ok('POST', '/api/users', { userPrincipalName: 'id-bob', password: 'bob-password-1' });
    assert.equal(given.password, undefined);
    const renamed = await api.ok('PATCH', '/api/users/id-alice', { displayName: 'Alice A.', password: 'alice-new-password' });
    assert.equal(renamed.displayName, 'Alice A.');
    expectArmError(await api.call('GET', '/api/registry', { auth: basic('id-alice', created.password) }), 401, 'Unauthorized');
    await api.ok('DELETE', '/api/users/id-alice', undefined, 204);
    expectArmError(await api.call('GET', '/api/users/id-alice', { auth: await api.ownerAuth() }), 404, 'NotFound');
    expectArmError(await api.call('DELETE', '/api/users/id-alice', { auth: await api.ownerAuth() }), 404, 'NotFound');
  });

  it('refuses bad users with 400 or 409 and writes nothing', async () => {
    await makeUser(api, 'id-taken');
    const before = await api.state();
    const bad = [
      [{ userPrincipalName: 'a:b' }, 400], [{ userPrincipalName: 'id-short', password: 'short' }, 400], [{ userPrincipalName: 'id-x', role: 'Owner' }, 400],
      [{}, 400], [{ userPrincipalName: 'ID-TAKEN' }, 409], [{ userPrincipalName: 'wharf' }, 409], [{ userPrincipalName: 'owner' }, 409],
    ] as const;
    for (const [body, status] of bad) {
      expectArmError(await api.call('POST', '/api/users', { auth: await api.ownerAuth(), body }), status, status === 400 ? 'InvalidRequest' : 'Conflict');
    }
    expectArmError(await api.call('DELETE', '/api/users/owner', { auth: await api.ownerAuth() }), 400, 'InvalidRequest', /your own account/);
    expectArmError(await api.call('PATCH', '/api/users/owner', { auth: await api.ownerAuth(), body: { accountEnabled: false } }), 400, 'InvalidRequest', /your own account/);
    assert.deepEqual(await api.state(), before);
  });

  it('lets a user without roles change its own password but nothing else', async () => {
    const carol = await makeUser(api, 'id-carol');
    const self = await api.call('PATCH', '/api/users/id-carol', { auth: carol.auth, body: { password: 'carol-second-password' } });
    assert.equal(self.status, 200, JSON.stringify(self.body));
    const auth = basic('id-carol', 'carol-second-password');
    assert.equal((await api.call('GET', '/api/users/id-carol', { auth })).status, 200);
    expectArmError(await api.call('PATCH', '/api/users/id-carol', { auth, body: { accountEnabled: false } }), 403, 'AuthorizationFailed');
    expectArmError(await api.call('PATCH', '/api/users/owner', { auth, body: { password: 'taken-over-now' } }), 403, 'AuthorizationFailed');
    expectArmError(await api.call('GET', '/api/users', { auth }), 403, 'AuthorizationFailed');
  });

  it('creates a service principal for RBAC; its secret logs in with the role; reset replaces the secret; delete removes assignments', async () => {
    const created = await api.ok('POST', '/api/servicePrincipals', { name: 'id-ci', role: 'AcrPush', scopes: [`${api.registryId}/repositories/ci/*`] });
    assert.match(created.appId, GUID);
    assert.equal(created.displayName, 'id-ci');
    const registry = await api.ok('GET', '/api/registry');
    assert.equal(created.tenant, registry.id.split('/')[2]);
    const sp = await api.ok('GET', `/api/servicePrincipals/${created.appId}`);
    assert.equal(sp.accountEnabled, true);
    assert.deepEqual(sp.servicePrincipalNames, [created.appId, 'id-ci']);
    assert.equal(sp.passwordCredentials.length, 1);
    assert.equal(sp.passwordCredentials[0].hint, created.password.slice(0, 3));
    assert.deepEqual(await api.ok('GET', `/api/servicePrincipals/${sp.objectId}`), sp);
    const auth = basic(created.appId, created.password);
    assert.deepEqual(await api.grantedAccess(auth, ['repository:ci/app:push,pull', 'repository:other:pull']), [
      { type: 'repository', name: 'ci/app', actions: ['pull', 'push'] }, { type: 'repository', name: 'other', actions: [] },
    ]);
    const assignments = await api.ok('GET', `/api/roleAssignments?all=true&assignee=${created.appId}`);
    assert.equal(assignments.length, 1);
    assert.equal(assignments[0].principalName, created.appId);
    assert.equal(assignments[0].principalType, 'ServicePrincipal');
    expectArmError(await api.call('POST', '/api/servicePrincipals', { auth: await api.ownerAuth(), body: { name: 'id-ci' } }), 409, 'Conflict');
    const reset = await api.ok('POST', `/api/servicePrincipals/${created.appId}/credentials/reset`, { years: 2 });
    assert.equal(reset.appId, created.appId);
    assert.notEqual(reset.password, created.password);
    expectArmError(await api.call('GET', '/api/registry', { auth }), 401, 'Unauthorized');
    assert.equal((await api.grantedAccess(basic(created.appId, reset.password), ['repository:ci/app:pull']))[0] !== undefined, true);
    const disabled = await api.ok('PATCH', `/api/servicePrincipals/${created.appId}`, { accountEnabled: false, displayName: 'CI' });
    assert.deepEqual([disabled.accountEnabled, disabled.displayName], [false, 'CI']);
    await api.ok('DELETE', `/api/servicePrincipals/${created.appId}`, undefined, 204);
    assert.deepEqual((await api.ok('GET', '/api/roleAssignments?all=true')).filter((a: { principalId: string }) => a.principalId === sp.objectId), []);
    expectArmError(await api.call('GET', `/api/servicePrincipals/${created.appId}`, { auth: await api.ownerAuth() }), 404, 'NotFound');
  });

  it('refuses service principals with a bad role or scope before writing anything', async () => {
    const before = await api.state();
    for (const body of [{ name: 'id-bad1', role: 'Janitor' }, { name: 'id-bad2', role: 'AcrPull', scopes: ['/subscriptions/other'] }, { name: 'id-bad3', scopes: [api.registryId] }]) {
      expectArmError(await api.call('POST', '/api/servicePrincipals', { auth: await api.ownerAuth(), body }), 400, 'InvalidRequest');
    }
    assert.deepEqual(await api.state(), before);
  });

  it('a role assignment made through the API changes what /oauth2/token grants at once, and its removal too', async () => {
    const dave = await makeUser(api, 'id-dave');
    const scopes = ['repository:team/app:pull,push', 'repository:other/app:pull'];
    assert.deepEqual(await api.grantedAccess(dave.auth, scopes), [
      { type: 'repository', name: 'team/app', actions: [] }, { type: 'repository', name: 'other/app', actions: [] },
    ]);
    const created = await assign(api, 'id-dave', 'AcrPush', `${api.registryId}/repositories/team/*`);
    assert.deepEqual(await api.grantedAccess(dave.auth, scopes), [
      { type: 'repository', name: 'team/app', actions: ['pull', 'push'] }, { type: 'repository', name: 'other/app', actions: [] },
    ]);
    await api.ok('DELETE', `/api/roleAssignments/${created.name}`, undefined, 204);
    assert.deepEqual((await api.grantedAccess(dave.auth, scopes))[0], { type: 'repository', name: 'team/app', actions: [] });
    expectArmError(await api.call('DELETE', `/api/roleAssignments/${created.name}`, { auth: await api.ownerAuth() }), 404, 'NotFound');
  });

  it('shows role assignments in the az shape and filters them by scope, assignee, role and inheritance', async () => {
    const erin = await makeUser(api, 'id-erin');
    const repoScope = `${api.registryId}/repositories/shop/api`;
    const created = await api.ok('POST', '/api/roleAssignments', { assignee: erin.objectId, role: ACR_PUSH, scope: repoScope });
    const installation = api.registryId.split('/')[2];
    assert.match(created.createdOn, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}\+00:00$/);
    const owner = (await api.ok('GET', '/api/users/owner')).objectId;
    assert.deepEqual({ ...created, createdOn: '', updatedOn: '', name: '' }, {
      condition: null, conditionVersion: null, createdBy: owner, createdOn: '', delegatedManagedIdentityResourceId: null, description: null,
      id: `${repoScope}/providers/Wharf.Authorization/roleAssignments/${created.name}`, name: '', principalId: erin.objectId, principalName: 'id-erin',
      principalType: 'User', roleDefinitionId: `/subscriptions/${installation}/providers/Wharf.Authorization/roleDefinitions/${ACR_PUSH}`,
      roleDefinitionName: 'AcrPush', scope: repoScope, type: 'Wharf.Authorization/roleAssignments', updatedBy: owner, updatedOn: '',
    });
    await assign(api, 'id-erin', 'Reader', api.registryId);
    const exact = await api.ok('GET', `/api/roleAssignments?scope=${encodeURIComponent(repoScope)}`);
    assert.deepEqual(exact.map((a: { name: string }) => a.name), [created.name]);
    const inherited = await api.ok('GET', `/api/roleAssignments?scope=${encodeURIComponent(repoScope)}&includeInherited=true&assignee=id-erin`);
    assert.deepEqual(inherited.map((a: { roleDefinitionName: string }) => a.roleDefinitionName).sort(), ['AcrPush', 'Reader']);
    const readers = await api.ok('GET', '/api/roleAssignments?role=reader&assignee=id-erin');
    assert.deepEqual(readers.map((a: { scope: string }) => a.scope), [api.registryId]);
    const owners = await api.ok('GET', '/api/roleAssignments');
    assert.ok(owners.some((a: { principalName: string; roleDefinitionName: string }) => a.principalName === 'owner' && a.roleDefinitionName === 'Owner'));
    await api.ok('DELETE', '/api/users/id-erin', undefined, 204);
    assert.deepEqual((await api.ok('GET', '/api/roleAssignments?all=true')).filter((a: { principalId: string }) => a.principalId === erin.objectId), []);
  });

  it('resolves assignee in order (objectId, appId, servicePrincipalName, userPrincipalName) and refuses what names no principal', async () => {
    const frank = await makeUser(api, 'id-frank');
    const sp = await api.ok('POST', '/api/servicePrincipals', { name: 'id-frank-sp' });
    const spObject = (await api.ok('GET', `/api/servicePrincipals/${sp.appId}`)).objectId;
    // A user named like the service principal's name: the servicePrincipalName comes first.
    await makeUser(api, 'id-frank-sp');
    const cases: [string, string][] = [[frank.objectId, frank.objectId], [sp.appId, spObject], ['id-frank-sp', spObject], ['ID-FRANK', frank.objectId]];
    for (const [i, [assignee, principalId]] of cases.entries()) {
      const made = await api.ok('POST', '/api/roleAssignments', { assignee, role: 'AcrPull', scope: `${api.registryId}/repositories/resolve/${i}` });
      assert.equal(made.principalId, principalId, assignee);
    }
    const byObjectId = await api.ok('POST', '/api/roleAssignments', {
      assigneeObjectId: spObject, assigneePrincipalType: 'ServicePrincipal', role: 'AcrPull', scope: `${api.registryId}/repositories/by-id`,
    });
    assert.equal(byObjectId.principalType, 'ServicePrincipal');
    const before = await api.state();
    const refusals: [Record<string, unknown>, RegExp][] = [
      [{ assignee: 'nobody-at-all' }, /no user or service principal/],
      [{ assignee: 'wharf' }, /admin account.*can never/],
      [{ assigneeObjectId: frank.objectId, assigneePrincipalType: 'ServicePrincipal' }, /no service principal/],
      [{ assignee: 'id-frank', assigneeObjectId: frank.objectId }, /exactly one/],
      [{}, /exactly one/],
    ];
    for (const [who, message] of refusals) {
      const res = await api.call('POST', '/api/roleAssignments', { auth: await api.ownerAuth(), body: { role: 'AcrPull', scope: api.registryId, ...who } });
      expectArmError(res, 400, 'InvalidRequest', message);
    }
    expectArmError(await api.call('POST', '/api/roleAssignments', { auth: await api.ownerAuth(), body: { assignee: 'id-frank', role: 'Janitor', scope: api.registryId } }), 400, 'InvalidRequest', /unknown role/);
    for (const scope of ['/subscriptions/x', `${api.registryId}/repositories/`, `${api.registryId}/repositories/a*`, `${api.registryId}/repositories/A/b`, `${api.registryId}/tokens/x`]) {
      expectArmError(await api.call('POST', '/api/roleAssignments', { auth: await api.ownerAuth(), body: { assignee: 'id-frank', role: 'AcrPull', scope } }), 400, 'InvalidRequest');
    }
    expectArmError(await api.call('POST', '/api/roleAssignments', {
      auth: await api.ownerAuth(), body: { assignee: frank.objectId, role: 'AcrPull', scope: `${api.registryId}/repositories/resolve/0` },
    }), 409, 'Conflict');
    assert.deepEqual(await api.state(), before);
  });

  it('refuses to assign a role to a scoped token, saying why', async () => {
    await api.ok('POST', '/api/tokens', { name: 'id-token', scopeMap: '_repositories_pull', noPasswords: true });
    expectArmError(await api.call('POST', '/api/roleAssignments', { auth: await api.ownerAuth(), body: { assignee: 'id-token', role: 'Owner', scope: api.registryId } }), 400, 'InvalidRequest', /scoped token/);
    const token = await api.ok('GET', '/api/tokens/id-token');
    expectArmError(await api.call('POST', '/api/roleAssignments', {
      auth: await api.ownerAuth(), body: { assigneeObjectId: token.objectId, role: 'Owner', scope: api.registryId },
    }), 400, 'InvalidRequest', /scoped token/);
  });
});
