import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { ApiClient, basic, expectArmError, forEachAuthBackend, makeUser, OWNER } from '../helpers/management-api.ts';
import { startWharf, type WharfInstance } from '../helpers/wharf.ts';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ARM_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}\+00:00$/;

forEachAuthBackend('management API: registry, authentication, OpenAPI', ({ api }) => {
  it('GET /api/registry shows the registry as wharf show does', async () => {
    const registry = await api.ok('GET', '/api/registry');
    const installation = /^\/subscriptions\/([^/]+)\/resourceGroups\/default\/providers\/Wharf\.ContainerRegistry\/registries\/wharf$/.exec(registry.id);
    assert.ok(installation && GUID.test(installation[1]!), registry.id);
    assert.match(registry.creationDate, ARM_TIME);
    assert.deepEqual({ ...registry, id: '', creationDate: '' }, {
      adminUserEnabled: false, anonymousPullEnabled: false, creationDate: '', id: '', location: 'local', loginServer: api.wharf.host, name: 'wharf',
      policies: { trustPolicy: { status: 'disabled', type: 'Notary' } }, provisioningState: 'Succeeded', resourceGroup: 'default',
      roleAssignmentMode: 'LegacyRegistryPermissions', sku: { name: 'Premium', tier: 'Premium' }, tags: {}, type: 'Wharf.ContainerRegistry/registries',
    });
  });

  it('answers without credentials, with bad ones or an unsupported scheme with 401 and a Basic challenge', async () => {
    for (const auth of [undefined, basic('owner', 'wrong-password'), basic('nobody', 'x'), 'Digest abc', 'Bearer not-a-jwt']) {
      const res = await api.call('GET', '/api/registry', { ...(auth === undefined ? {} : { auth }) });
      expectArmError(res, 401, 'Unauthorized');
      assert.equal(res.headers.get('www-authenticate'), 'Basic realm="wharf"');
    }
  });

  it('accepts a refresh token as Bearer, and refuses it once the user is disabled', async () => {
    const user = await makeUser(api, 'api-bearer-user');
    const refresh = await api.refreshToken('api-bearer-user', user.password);
    await api.ok('POST', '/api/roleAssignments', { assignee: 'api-bearer-user', role: 'Reader', scope: (await api.ok('GET', '/api/registry')).id });
    assert.equal((await api.call('GET', '/api/registry', { auth: `Bearer ${refresh}` })).status, 200);
    await api.ok('PATCH', '/api/users/api-bearer-user', { accountEnabled: false });
    expectArmError(await api.call('GET', '/api/registry', { auth: `Bearer ${refresh}` }), 401, 'Unauthorized');
    expectArmError(await api.call('GET', '/api/registry', { auth: user.auth }), 401, 'Unauthorized');
  });

  it('refuses the admin account and scoped tokens with 403, even with valid passwords', async () => {
    await api.ok('PATCH', '/api/registry', { adminUserEnabled: true });
    const creds = await api.ok('GET', '/api/registry/credentials');
    const token = await api.ok('POST', '/api/tokens', { name: 'api-token-403', scopeMap: '_repositories_admin' });
    try {
      for (const auth of [basic('wharf', creds.passwords[0].value), basic('api-token-403', token.credentials.passwords[0].value)]) {
        expectArmError(await api.call('GET', '/api/registry', { auth }), 403, 'AuthorizationFailed', /data plane|only users/);
        expectArmError(await api.call('GET', '/api/tokens', { auth }), 403, 'AuthorizationFailed');
      }
    } finally {
      await api.ok('DELETE', '/api/tokens/api-token-403', undefined, 204);
      await api.ok('PATCH', '/api/registry', { adminUserEnabled: false });
    }
  });

  it('PATCH /api/registry changes adminUserEnabled and anonymousPullEnabled; anonymous pull applies to the token service at once', async () => {
    const scope = 'repository:api/anon:pull';
    const anonymous = await fetchToken(api, scope);
    assert.equal(anonymous, 401);
    const changed = await api.ok('PATCH', '/api/registry', { anonymousPullEnabled: true, adminUserEnabled: true });
    assert.equal(changed.anonymousPullEnabled, true);
    assert.equal(changed.adminUserEnabled, true);
    assert.equal(await fetchToken(api, scope), 200);
    const back = await api.ok('PATCH', '/api/registry', { anonymousPullEnabled: false, adminUserEnabled: false });
    assert.deepEqual([back.anonymousPullEnabled, back.adminUserEnabled], [false, false]);
    assert.equal(await fetchToken(api, scope), 401);
  });

  it('rejects unknown or mistyped registry fields with 400 InvalidRequest and changes nothing', async () => {
    const before = await api.state();
    expectArmError(await api.call('PATCH', '/api/registry', { auth: await api.ownerAuth(), body: { adminEnabled: true } }), 400, 'InvalidRequest', /adminEnabled/);
    expectArmError(await api.call('PATCH', '/api/registry', { auth: await api.ownerAuth(), body: { adminUserEnabled: 'yes' } }), 400, 'InvalidRequest');
    assert.deepEqual(await api.state(), before);
  });

  it('shows and renews the admin passwords, which log in to the data plane; 409 while the admin account is disabled', async () => {
    expectArmError(await api.call('GET', '/api/registry/credentials', { auth: await api.ownerAuth() }), 409, 'Conflict', /wharf update -n wharf --admin-enabled true/);
    expectArmError(await api.call('POST', '/api/registry/credentials/renew', { auth: await api.ownerAuth(), body: { name: 'password' } }), 409, 'Conflict');
    await api.ok('PATCH', '/api/registry', { adminUserEnabled: true });
    try {
      const shown = await api.ok('GET', '/api/registry/credentials');
      assert.equal(shown.username, 'wharf');
      assert.deepEqual(shown.passwords.map((p: { name: string }) => p.name), ['password', 'password2']);
      assert.deepEqual(await api.ok('GET', '/api/registry/credentials'), shown);
      const renewed = await api.ok('POST', '/api/registry/credentials/renew', { name: 'password2' });
      assert.equal(renewed.passwords[0].value, shown.passwords[0].value);
      assert.notEqual(renewed.passwords[1].value, shown.passwords[1].value);
      const access = await api.grantedAccess(basic('wharf', renewed.passwords[1].value), ['repository:api/admin:pull']);
      assert.deepEqual(access, [{ type: 'repository', name: 'api/admin', actions: ['pull'] }]);
      expectArmError(await api.call('POST', '/api/registry/credentials/renew', { auth: await api.ownerAuth(), body: { name: 'password1' } }), 400, 'InvalidRequest');
    } finally {
      await api.ok('PATCH', '/api/registry', { adminUserEnabled: false });
    }
  });

  it('answers unknown management routes with 404 NotFound in the ARM format', async () => {
    expectArmError(await api.call('GET', '/api/nothing-here', { auth: await api.ownerAuth() }), 404, 'NotFound');
  });

  it('serves /api/openapi.json without credentials, a valid OpenAPI 3.1 document covering every route', async () => {
    const res = await api.call('GET', '/api/openapi.json');
    assert.equal(res.status, 200);
    assert.equal(res.body.openapi, '3.1.0');
    const validator = new Validator();
    const result = await validator.validate(res.body);
    assert.ok(result.valid, JSON.stringify(result.errors, null, 2));
    assert.equal(validator.version, '3.1');
    const operations = Object.entries(res.body.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    for (const expected of [
      'GET /api/registry', 'PATCH /api/registry', 'GET /api/registry/credentials', 'POST /api/registry/credentials/renew',
      'GET /api/roleAssignments', 'POST /api/roleAssignments', 'DELETE /api/roleAssignments/{name}',
      'GET /api/users', 'POST /api/users', 'GET /api/users/{user}', 'PATCH /api/users/{user}', 'DELETE /api/users/{user}',
      'GET /api/servicePrincipals', 'POST /api/servicePrincipals', 'GET /api/servicePrincipals/{servicePrincipal}',
      'PATCH /api/servicePrincipals/{servicePrincipal}', 'DELETE /api/servicePrincipals/{servicePrincipal}',
      'POST /api/servicePrincipals/{servicePrincipal}/credentials/reset',
      'GET /api/scopeMaps', 'POST /api/scopeMaps', 'GET /api/scopeMaps/{scopeMap}', 'PATCH /api/scopeMaps/{scopeMap}', 'DELETE /api/scopeMaps/{scopeMap}',
      'GET /api/tokens', 'POST /api/tokens', 'GET /api/tokens/{token}', 'PATCH /api/tokens/{token}', 'DELETE /api/tokens/{token}',
      'POST /api/tokens/{token}/credentials/generate', 'DELETE /api/tokens/{token}/credentials/{password}',
    ]) assert.ok(operations.includes(expected), `${expected} missing from ${operations.join(', ')}`);
    const create = res.body.paths['/api/users'].post;
    assert.equal(create.requestBody.content['application/json'].schema.additionalProperties, false);
    assert.ok(create.responses['201'].content['application/json'].schema.properties.objectId);
  });
});

/** The status of an anonymous GET /oauth2/token for one scope. */
async function fetchToken(api: ApiClient, scope: string): Promise<number> {
  const query = new URLSearchParams({ service: api.wharf.host, scope });
  return (await api.call('GET', `/oauth2/token?${query}`)).status;
}

describe('management API with auth disabled', () => {
  let wharf: WharfInstance;
  let api: ApiClient;
  before(async () => {
    wharf = await startWharf({ env: { WHARF_AUTH__ENABLED: 'false' } });
    api = new ApiClient().attach(wharf);
  });
  after(async () => {
    await api?.close();
    await wharf?.stop();
  });

  it('answers every /api route with 404 saying that it needs auth.enabled', async () => {
    for (const path of ['/api/registry', '/api/openapi.json', '/api/users']) {
      expectArmError(await api.call('GET', path, { auth: OWNER }), 404, 'NotFound', /auth\.enabled/);
    }
  });
});
