import assert from 'node:assert/strict';
import { it } from 'node:test';
import { basic, expectArmError, forEachAuthBackend } from '../helpers/management-api.ts';

const NO_EXPIRY = '9999-12-31T23:59:59.999999+00:00';
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

forEachAuthBackend('management API: scope maps and scoped tokens', ({ api }) => {
  it('lists the read-only system scope maps and refuses to change or delete them', async () => {
    const maps = await api.ok('GET', '/api/scopeMaps');
    const pull = maps.find((m: { name: string }) => m.name === '_repositories_pull');
    assert.deepEqual({ ...pull, creationDate: '' }, {
      actions: ['repositories/*/content/read'], creationDate: '', description: 'Can pull any repository of the registry',
      id: `${api.registryId}/scopeMaps/_repositories_pull`, name: '_repositories_pull', provisioningState: 'Succeeded', resourceGroup: 'default', type: 'SystemDefined',
    });
    const before = await api.state();
    expectArmError(await api.call('PATCH', '/api/scopeMaps/_repositories_pull', { auth: await api.ownerAuth(), body: { addActions: ['repositories/x/content/write'] } }), 400, 'InvalidRequest', /read-only/);
    expectArmError(await api.call('DELETE', '/api/scopeMaps/_repositories_admin', { auth: await api.ownerAuth() }), 400, 'InvalidRequest', /read-only/);
    assert.deepEqual(await api.state(), before);
  });

  it('creates, updates and deletes a user scope map; refuses bad actions and deleting a map in use', async () => {
    const created = await api.ok('POST', '/api/scopeMaps', {
      name: 'sm-team', description: 'team', actions: ['repositories/team/*/content/read', 'repositories/team/*/metadata/read', 'repositories/app/content/write'],
    });
    assert.deepEqual(created.actions, ['repositories/team/*/content/read', 'repositories/team/*/metadata/read', 'repositories/app/content/write']);
    assert.equal(created.type, 'UserDefined');
    const updated = await api.ok('PATCH', '/api/scopeMaps/sm-team', { removeActions: ['repositories/app/content/write'], addActions: ['repositories/app/content/read'], description: 'changed' });
    assert.deepEqual(updated.actions, ['repositories/team/*/content/read', 'repositories/team/*/metadata/read', 'repositories/app/content/read']);
    assert.equal(updated.description, 'changed');
    assert.deepEqual(await api.ok('GET', '/api/scopeMaps/SM-TEAM'), updated);
    const before = await api.state();
    for (const actions of [['repositories/team/content/fly'], ['team/content/read'], ['repositories/a*/content/read'], []]) {
      expectArmError(await api.call('POST', '/api/scopeMaps', { auth: await api.ownerAuth(), body: { name: 'sm-bad1', actions } }), 400, 'InvalidRequest');
    }
    expectArmError(await api.call('POST', '/api/scopeMaps', { auth: await api.ownerAuth(), body: { name: '_mine', actions: ['repositories/x/content/read'] } }), 400, 'InvalidRequest');
    expectArmError(await api.call('POST', '/api/scopeMaps', { auth: await api.ownerAuth(), body: { name: 'sm-team', actions: ['repositories/x/content/read'] } }), 409, 'Conflict');
    expectArmError(await api.call('PATCH', '/api/scopeMaps/sm-team', { auth: await api.ownerAuth(), body: { removeActions: updated.actions } }), 400, 'InvalidRequest');
    expectArmError(await api.call('GET', '/api/scopeMaps/sm-none', { auth: await api.ownerAuth() }), 404, 'NotFound');
    assert.deepEqual(await api.state(), before);
    await api.ok('POST', '/api/tokens', { name: 'sm-user', scopeMap: 'sm-team', noPasswords: true });
    expectArmError(await api.call('DELETE', '/api/scopeMaps/sm-team', { auth: await api.ownerAuth() }), 409, 'Conflict', /sm-user/);
    await api.ok('DELETE', '/api/tokens/sm-user', undefined, 204);
    await api.ok('DELETE', '/api/scopeMaps/sm-team', undefined, 204);
  });

  it('creates a token with inline repositories: a <name>-scope-map, two passwords shown once, no expiry; they log in with those rights', async () => {
    const token = await api.ok('POST', '/api/tokens', { name: 'tk-pull', repositories: { 'team/app': ['content/read', 'metadata/read'] } });
    assert.match(token.objectId, GUID);
    assert.equal(token.scopeMapId, `${api.registryId}/scopeMaps/tk-pull-scope-map`);
    assert.deepEqual({ ...token, objectId: '', creationDate: '', credentials: null }, {
      creationDate: '', credentials: null, id: `${api.registryId}/tokens/tk-pull`, name: 'tk-pull', objectId: '', provisioningState: 'Succeeded',
      resourceGroup: 'default', scopeMapId: token.scopeMapId, status: 'enabled', type: 'Wharf.ContainerRegistry/registries/tokens',
    });
    const { passwords, username, certificates } = token.credentials;
    assert.deepEqual([username, certificates, passwords.map((p: { name: string; expiry: string }) => [p.name, p.expiry])], ['tk-pull', [], [['password1', NO_EXPIRY], ['password2', NO_EXPIRY]]]);
    const map = await api.ok('GET', '/api/scopeMaps/tk-pull-scope-map');
    assert.deepEqual(map.actions, ['repositories/team/app/content/read', 'repositories/team/app/metadata/read']);
    for (const p of passwords) {
      assert.deepEqual(await api.grantedAccess(basic('tk-pull', p.value), ['repository:team/app:pull,push', 'repository:other:pull']), [
        { type: 'repository', name: 'team/app', actions: ['pull'] },
        { type: 'repository', name: 'other', actions: [] },
      ]);
    }
    const shown = await api.ok('GET', '/api/tokens/tk-pull');
    assert.ok(shown.credentials.passwords.every((p: { value?: string }) => p.value === undefined));
    assert.ok((await api.ok('GET', '/api/tokens')).some((t: { name: string }) => t.name === 'tk-pull'));
  });

  it('regenerates one password with an expiry, deletes the other, disables and deletes the token: each effective at once', async () => {
    const token = await api.ok('POST', '/api/tokens', { name: 'tk-rotate', scopeMap: '_repositories_pull' });
    const [old1, old2] = token.credentials.passwords.map((p: { value: string }) => p.value);
    const expiry = new Date(Date.now() + 7 * 86400_000).toISOString().replace(/\.\d+Z$/, 'Z');
    const generated = await api.ok('POST', '/api/tokens/tk-rotate/credentials/generate', { passwords: ['password1'], expiry });
    assert.equal(generated.username, 'tk-rotate');
    assert.equal(generated.passwords.length, 1);
    assert.equal(generated.passwords[0].name, 'password1');
    assert.equal(generated.passwords[0].expiry, expiry.replace('Z', '.000000+00:00'));
    const scope = ['repository:a/b:pull'];
    const pulls = async (password: string) => (await api.call('GET', `/oauth2/token?${new URLSearchParams({ service: api.wharf.host, scope: scope[0]! })}`, { auth: basic('tk-rotate', password) })).status;
    assert.equal(await pulls(old1), 401);
    assert.equal(await pulls(generated.passwords[0].value), 200);
    assert.equal(await pulls(old2), 200);
    await api.ok('DELETE', '/api/tokens/tk-rotate/credentials/password2', undefined, 204);
    assert.equal(await pulls(old2), 401);
    assert.deepEqual((await api.ok('GET', '/api/tokens/tk-rotate')).credentials.passwords.map((p: { name: string }) => p.name), ['password1']);
    const disabled = await api.ok('PATCH', '/api/tokens/tk-rotate', { status: 'disabled' });
    assert.equal(disabled.status, 'disabled');
    assert.equal(await pulls(generated.passwords[0].value), 401);
    const remapped = await api.ok('PATCH', '/api/tokens/tk-rotate', { status: 'enabled', scopeMap: '_repositories_push' });
    assert.equal(remapped.scopeMapId, `${api.registryId}/scopeMaps/_repositories_push`);
    await api.ok('DELETE', '/api/tokens/tk-rotate', undefined, 204);
    assert.equal(await pulls(generated.passwords[0].value), 401);
    expectArmError(await api.call('GET', '/api/tokens/tk-rotate', { auth: await api.ownerAuth() }), 404, 'NotFound');
  });

  it('refuses bad tokens with 400, 404 or 409 and writes nothing (not even the inline scope map)', async () => {
    await api.ok('POST', '/api/tokens', { name: 'tk-taken', scopeMap: '_repositories_pull', noPasswords: true });
    const before = await api.state();
    const cases: [Record<string, unknown>, number, string][] = [
      [{ name: 'tk', scopeMap: '_repositories_pull' }, 400, 'InvalidRequest'],
      [{ name: 'tk-both', scopeMap: '_repositories_pull', repositories: { a: ['content/read'] } }, 400, 'InvalidRequest'],
      [{ name: 'tk-neither' }, 400, 'InvalidRequest'],
      [{ name: 'tk-badaction', repositories: { a: ['content/fly'] } }, 400, 'InvalidRequest'],
      [{ name: 'tk-badrepo', repositories: { 'A/*x': ['content/read'] } }, 400, 'InvalidRequest'],
      [{ name: 'tk-past', scopeMap: '_repositories_pull', expiry: '2001-01-01T00:00:00Z' }, 400, 'InvalidRequest'],
      [{ name: 'tk-garbled', scopeMap: '_repositories_pull', expiry: 'next week' }, 400, 'InvalidRequest'],
      [{ name: 'tk-nomap', scopeMap: 'missing-map' }, 404, 'NotFound'],
      [{ name: 'tk-taken', repositories: { a: ['content/read'] } }, 409, 'Conflict'],
      [{ name: 'owner', scopeMap: '_repositories_pull' }, 409, 'Conflict'],
      [{ name: 'wharf', scopeMap: '_repositories_pull' }, 409, 'Conflict'],
    ];
    for (const [body, status, code] of cases) expectArmError(await api.call('POST', '/api/tokens', { auth: await api.ownerAuth(), body }), status, code);
    expectArmError(await api.call('PATCH', '/api/tokens/tk-taken', { auth: await api.ownerAuth(), body: { scopeMap: 'missing-map' } }), 404, 'NotFound');
    expectArmError(await api.call('POST', '/api/tokens/tk-taken/credentials/generate', { auth: await api.ownerAuth(), body: { passwords: ['password3'] } }), 400, 'InvalidRequest');
    expectArmError(await api.call('POST', '/api/tokens/tk-none/credentials/generate', { auth: await api.ownerAuth(), body: {} }), 404, 'NotFound');
    expectArmError(await api.call('DELETE', '/api/tokens/tk-taken/credentials/password3', { auth: await api.ownerAuth() }), 400, 'InvalidRequest');
    assert.deepEqual(await api.state(), before);
  });
});
