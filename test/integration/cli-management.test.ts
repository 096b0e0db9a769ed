import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loginAsOwner, wharfCli, type WharfCli } from '../helpers/wharf-cli.ts';
import { startWharf, type WharfInstance } from '../helpers/wharf.ts';

const OWNER_PASSWORD = 'owner-password-for-cli-tests';
const REGISTRY_ID = /^\/subscriptions\/[0-9a-f-]{36}\/resourceGroups\/default\/providers\/Wharf\.ContainerRegistry\/registries\/wharf$/;

type Json = Record<string, unknown>;

// The management verbs of the real CLI against a real Wharf's /api, logged in as the owner
// (refresh token as Bearer) unless a test passes -u/-p or WHARF_USERNAME/WHARF_PASSWORD.
describe('wharf management commands (real CLI against a real Wharf)', { timeout: 300_000 }, () => {
  let wharf: WharfInstance;
  let cli: WharfCli;

  /** Runs the CLI expecting success and JSON on stdout. */
  const json = (...args: string[]) => cli.json(args) as Promise<Json & Json[]>;
  /** Runs the CLI expecting success; returns stdout. */
  const text = async (...args: string[]) => {
    const res = await cli.run(args);
    assert.equal(res.code, 0, `wharf ${args.join(' ')}: ${res.stderr}`);
    return res.stdout;
  };
  const fails = async (code: number, args: string[], env?: Record<string, string>) => cli.fails(code, args, { env });

  before(async () => {
    wharf = await startWharf({ env: { WHARF_AUTH__ENABLED: 'true', WHARF_AUTH__OWNER_PASSWORD: OWNER_PASSWORD } });
    cli = await wharfCli();
    await loginAsOwner(cli, wharf);
  });
  after(async () => {
    await cli?.remove();
    await wharf?.stop();
  });

  it('show: the registry as az acr show prints it; --query id -o tsv prints the id; -n selects by name or login server', async () => {
    const shown = await text('show');
    const registry = JSON.parse(shown) as Json;
    assert.match(String(registry.id), REGISTRY_ID);
    assert.equal(registry.loginServer, wharf.host);
    assert.equal(registry.name, 'wharf');
    assert.deepEqual(registry.sku, { name: 'Premium', tier: 'Premium' });
    assert.deepEqual(Object.keys(registry), Object.keys(registry).sort(), 'keys sorted');
    assert.match(shown, /^\{\n {2}"adminUserEnabled": false,\n/);
    assert.equal(await text('show', '--query', 'id', '-o', 'tsv'), `${registry.id}\n`);
    assert.equal(await text('show', '-n', 'wharf', '--query', 'loginServer', '-o', 'tsv'), `${wharf.host}\n`);
    assert.equal(await text('show', '-n', wharf.host, '--query', 'name', '-o', 'tsv'), 'wharf\n');
    assert.equal((await cli.cliConfig()).registries[wharf.host]?.name, 'wharf', 'login learned the registry name');
    assert.match(await text('show', '-o', 'table'), /^AdminUserEnabled +AnonymousPullEnabled .*\n-+ .*\nFalse +False +/);
    assert.match(await text('show', '-o', 'yaml'), /^adminUserEnabled: false\n/);
    assert.equal(await text('show', '-o', 'none'), '');
    assert.match(await fails(2, ['show', '-n', 'elsewhere']), /not logged in to a registry named 'elsewhere'/);
  });

  it('update and credential show/renew: the admin account, which logs docker in but not the CLI', async () => {
    assert.match(await fails(1, ['credential', 'show']), /wharf update( -n wharf)? --admin-enabled true/);
    assert.equal(await text('update', '--admin-enabled', 'true', '--query', 'adminUserEnabled', '-o', 'tsv'), 'true\n');
    const before = await json('credential', 'show');
    assert.equal(before.username, 'wharf');
    const renewed = await json('credential', 'renew', '--password-name', 'password2');
    const value = (c: Json, name: string) => (c.passwords as { name: string; value: string }[]).find((p) => p.name === name)?.value;
    assert.equal(value(renewed, 'password'), value(before, 'password'));
    assert.notEqual(value(renewed, 'password2'), value(before, 'password2'));

    // The admin account logs docker in with its password (no refresh token) and is refused by /api.
    const admin = await wharfCli();
    try {
      assert.equal((await admin.run(['login', wharf.host, '-u', 'wharf', '-p', value(renewed, 'password2')!, '--ca-file', wharf.caFile!])).code, 0);
      assert.deepEqual((await admin.dockerConfig()).auths?.[wharf.host], { auth: Buffer.from(`wharf:${value(renewed, 'password2')}`).toString('base64') });
      const show = await admin.run(['show']);
      assert.equal(show.code, 4);
      assert.match(show.stderr, /only pulls and pushes/);
      const basic = await admin.run(['show', '-u', 'wharf', '-p', value(renewed, 'password')!]);
      assert.equal(basic.code, 4, 'the admin account is refused by the management API');
    } finally {
      await admin.remove();
    }
    assert.equal(await text('update', '--admin-enabled', 'false', '--query', 'adminUserEnabled', '-o', 'tsv'), 'false\n');
    assert.match(await fails(2, ['update']), /nothing to update/);
    assert.match(await fails(2, ['update', '--admin-enabled', 'maybe']), /expected true or false/);
    assert.match(await fails(2, ['credential', 'renew']), /--password-name/);
  });

  it('ad user and role assignment: create, list, show, update, delete; rights apply at once', async () => {
    const created = await json('ad', 'user', 'create', '--user-principal-name', 'alice', '--display-name', 'Alice');
    assert.equal(created.userPrincipalName, 'alice');
    assert.equal(typeof created.password, 'string', 'a generated password is shown once');
    assert.equal(await text('ad', 'user', 'show', '--id', 'alice', '--query', 'objectId', '-o', 'tsv'), `${created.objectId}\n`);
    assert.match(await text('ad', 'user', 'list', '-o', 'table'), /\nTrue +Alice +[0-9a-f-]{36} +alice\n/);
    const alice = ['-u', 'alice', '-p', String(created.password)];

    // No role yet: refused with 4, and nothing was changed by the attempt.
    assert.match(await fails(4, ['show', ...alice]), /AuthorizationFailed/);
    assert.match(await fails(4, ['ad', 'user', 'create', '--user-principal-name', 'mallory'], { WHARF_USERNAME: 'alice', WHARF_PASSWORD: String(created.password) }), /AuthorizationFailed/);
    assert.equal(await text('ad', 'user', 'list', '--query', "[?userPrincipalName=='mallory'] | length(@)", '-o', 'tsv'), '0\n');

    const assignment = await json('role', 'assignment', 'create', '--assignee', 'alice', '--role', 'Reader');
    assert.equal(assignment.principalName, 'alice');
    assert.equal(assignment.roleDefinitionName, 'Reader');
    assert.match(String(assignment.scope), REGISTRY_ID, 'default scope: the registry');
    assert.equal(await text('show', ...alice, '--query', 'name', '-o', 'tsv'), 'wharf\n');
    assert.equal(await text('show', '--query', 'name', '-o', 'tsv', '--username', 'alice', '--password', String(created.password)), 'wharf\n');
    const registryId = (await text('show', '--query', 'id', '-o', 'tsv')).trim();
    const onRepo = await json('role', 'assignment', 'create', '--assignee-object-id', String(created.objectId), '--assignee-principal-type', 'User', '--role', 'AcrImageSigner', '--scope', `${registryId}/repositories/team/*`);
    assert.equal(onRepo.scope, `${registryId}/repositories/team/*`);
    assert.equal(await text('role', 'assignment', 'list', '--assignee', 'alice', '--all', '--query', 'sort([].roleDefinitionName)', '-o', 'tsv'), 'AcrImageSigner\nReader\n');
    assert.match(await text('role', 'assignment', 'list', '--assignee', 'alice', '--all', '-o', 'table'), /^Principal +Role +Scope\n/);
    assert.match(await fails(1, ['role', 'assignment', 'create', '--assignee', 'wharf', '--role', 'AcrPull']), /admin account/);

    assert.equal(await text('role', 'assignment', 'delete', '--assignee', 'alice', '--role', 'Reader'), '');
    await fails(4, ['show', ...alice]);
    assert.equal(await text('role', 'assignment', 'delete', '--ids', String(onRepo.id)), '');
    assert.deepEqual(await json('role', 'assignment', 'list', '--assignee', 'alice', '--all'), []);
    assert.match(await fails(2, ['role', 'assignment', 'delete']), /say what to delete/);

    assert.equal(await text('ad', 'user', 'update', '--id', 'alice', '--account-enabled', 'false', '--query', 'accountEnabled', '-o', 'tsv'), 'false\n');
    assert.match(await fails(1, ['ad', 'user', 'update', '--id', 'alice', '--password', 'short']), /InvalidRequest/);
    assert.equal(await text('ad', 'user', 'delete', '--id', 'alice'), '');
    assert.match(await fails(3, ['ad', 'user', 'show', '--id', 'alice']), /NotFound/);
  });

  it('ad sp: create-for-rbac with a role, list, show, credential reset, delete; the secret logs in', async () => {
    const sp = await json('ad', 'sp', 'create-for-rbac', '--name', 'ci-reader', '--role', 'Reader');
    assert.deepEqual(Object.keys(sp), ['appId', 'displayName', 'password', 'tenant']);
    assert.equal(await text('show', '-u', String(sp.appId), '-p', String(sp.password), '--query', 'name', '-o', 'tsv'), 'wharf\n');
    assert.equal(await text('ad', 'sp', 'list', '--query', "[?displayName=='ci-reader'].appId", '-o', 'tsv'), `${sp.appId}\n`);
    assert.equal(await text('ad', 'sp', 'show', '--id', String(sp.appId), '--query', 'displayName', '-o', 'tsv'), 'ci-reader\n');
    const reset = await json('ad', 'sp', 'credential', 'reset', '--id', String(sp.appId));
    assert.notEqual(reset.password, sp.password);
    await fails(4, ['show', '-u', String(sp.appId), '-p', String(sp.password)]);
    assert.equal(await text('show', '-u', String(sp.appId), '-p', String(reset.password), '--query', 'name', '-o', 'tsv'), 'wharf\n');
    assert.equal(await text('ad', 'sp', 'delete', '--id', String(sp.appId)), '');
    await fails(3, ['ad', 'sp', 'show', '--id', String(sp.appId)]);
    assert.match(await fails(2, ['ad', 'sp', 'create-for-rbac', '--name', 'x', '--scopes', 'y']), /--scopes needs --role/);
  });

  it('scope-map: create with repeated --repository, update, list as a table, show, delete', async () => {
    const created = await json('scope-map', 'create', '-n', 'team-read', '--repository', 'team/*', 'content/read', 'metadata/read', '--repository', 'base', 'content/read', '--description', 'read team');
    assert.deepEqual(created.actions, ['repositories/team/*/content/read', 'repositories/team/*/metadata/read', 'repositories/base/content/read']);
    assert.equal(created.type, 'UserDefined');
    const updated = await json('scope-map', 'update', '-n', 'team-read', '--add-repository', 'base', 'content/write', '--remove-repository', 'base', 'content/read');
    assert.deepEqual(updated.actions, ['repositories/team/*/content/read', 'repositories/team/*/metadata/read', 'repositories/base/content/write']);
    const table = await text('scope-map', 'list', '-o', 'table');
    assert.match(table, /^NAME +TYPE +CREATION DATE +DESCRIPTION\n/);
    assert.match(table, /\n_repositories_pull +SystemDefined +/);
    assert.match(table, /\nteam-read +UserDefined +\S+ +read team\n/);
    assert.equal(await text('scope-map', 'show', '-n', 'team-read', '--query', 'description', '-o', 'tsv'), 'read team\n');
    assert.match(await fails(2, ['scope-map', 'create', '-n', 'no-actions', '--repository', 'team']), /needs at least one action/);
    assert.match(await fails(1, ['scope-map', 'create', '-n', 'bad-pattern', '--repository', 'team*', 'content/read']), /InvalidRequest/);
    await fails(3, ['scope-map', 'show', '-n', 'bad-pattern']);
    assert.equal(await text('scope-map', 'delete', '-n', 'team-read', '--yes'), '');
    await fails(3, ['scope-map', 'show', '-n', 'team-read']);
  });

  it('token: create inline or from a scope map, list without values, credential generate/delete, update, delete; the password logs docker in', async () => {
    const created = await json('token', 'create', '-n', 'ci-pull', '--repository', 'team/app', 'content/read', 'metadata/read');
    const passwords = (created.credentials as { passwords: { name: string; value?: string; expiry: string }[] }).passwords;
    assert.deepEqual(passwords.map((p) => p.name), ['password1', 'password2']);
    assert.ok(passwords.every((p) => p.value && p.expiry === '9999-12-31T23:59:59.999999+00:00'));
    assert.match(String(created.scopeMapId), /\/scopeMaps\/ci-pull-scope-map$/);
    const listed = await text('token', 'list');
    assert.ok(!listed.includes('"value"'), 'values are shown once');
    assert.match(await text('token', 'list', '-o', 'table'), /^NAME +SCOPE MAP +PASSWORD1 EXPIRY +PASSWORD2 EXPIRY +STATUS +CREATION DATE\n-.*\nci-pull +ci-pull-scope-map +9999-/);

    // The token's password works for a data-plane login (docker keeps it as Basic).
    const tokenCli = await wharfCli();
    try {
      assert.equal((await tokenCli.run(['login', wharf.host, '-u', 'ci-pull', '-p', passwords[0]!.value!, '--ca-file', wharf.caFile!])).code, 0);
    } finally {
      await tokenCli.remove();
    }

    const generated = await json('token', 'credential', 'generate', '-n', 'ci-pull', '--password1', '--expiration-in-days', '3');
    const fresh = (generated.passwords as { name: string; value: string; expiry: string }[])[0]!;
    assert.equal(fresh.name, 'password1');
    assert.notEqual(fresh.value, passwords[0]!.value);
    const days = (Date.parse(fresh.expiry) - Date.now()) / 86_400_000;
    assert.ok(days > 2.9 && days <= 3, `expiry in ${days} days`);
    assert.equal(await text('token', 'credential', 'delete', '-n', 'ci-pull', '--password2'), '');
    assert.equal(await text('token', 'show', '-n', 'ci-pull', '--query', 'credentials.passwords[].name', '-o', 'tsv'), 'password1\n');
    assert.equal(await text('token', 'update', '-n', 'ci-pull', '--status', 'disabled', '--query', 'status', '-o', 'tsv'), 'disabled\n');
    assert.match(await fails(2, ['token', 'update', '-n', 'ci-pull', '--status', 'paused']), /paused/);

    const fromMap = await json('token', 'create', '-n', 'ci-push', '--scope-map', '_repositories_push', '--no-passwords');
    assert.deepEqual((fromMap.credentials as { passwords: unknown[] }).passwords, []);
    assert.match(await fails(2, ['token', 'create', '-n', 'both-ways', '--scope-map', 'x', '--repository', 'a', 'content/read']), /either --scope-map or --repository/);
    assert.match(await fails(2, ['token', 'create', '-n', 'expires', '--scope-map', 'x', '--expiration', 'tomorrow']), /--expiration must be/);
    assert.match(await fails(3, ['token', 'create', '-n', 'no-such-map', '--scope-map', 'missing-map']), /NotFound/);

    assert.equal(await text('token', 'delete', '-n', 'ci-pull'), '');
    assert.equal(await text('token', 'delete', '-n', 'ci-push'), '');
    assert.equal(await text('token', 'list', '--query', 'length(@)', '-o', 'tsv'), '0\n');
  });

  it('a login whose refresh token is no longer valid exits 4 and says to log in again', async () => {
    const user = await json('ad', 'user', 'create', '--user-principal-name', 'bob', '--password', 'bob-password-1');
    await json('role', 'assignment', 'create', '--assignee', 'bob', '--role', 'Reader');
    const bob = await wharfCli();
    try {
      assert.equal((await bob.run(['login', wharf.host, '-u', 'bob', '-p', 'bob-password-1', '--ca-file', wharf.caFile!])).code, 0);
      assert.equal((await bob.run(['show', '--query', 'name', '-o', 'tsv'])).stdout, 'wharf\n');
      await json('ad', 'user', 'update', '--id', String(user.objectId), '--password', 'bob-password-2');
      const res = await bob.run(['show']);
      assert.equal(res.code, 4, res.stderr);
      assert.match(res.stderr, /run 'wharf login .*' again/);
    } finally {
      await bob.remove();
    }
  });
});
