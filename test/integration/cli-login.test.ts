import assert from 'node:assert/strict';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../helpers/net.ts';
import { wharfCli, type WharfCli } from '../helpers/wharf-cli.ts';
import { startWharf, type WharfInstance } from '../helpers/wharf.ts';

const OWNER_PASSWORD = 'owner-password-for-cli-tests';
const NULL_GUID = '00000000-0000-0000-0000-000000000000';

describe('wharf login / logout (real CLI against a real Wharf with auth enabled)', { timeout: 120_000 }, () => {
  let wharf: WharfInstance;
  const clis: WharfCli[] = [];
  const newCli = async () => {
    const cli = await wharfCli();
    clis.push(cli);
    return cli;
  };

  before(async () => {
    wharf = await startWharf({ env: { WHARF_AUTH__ENABLED: 'true', WHARF_AUTH__OWNER_PASSWORD: OWNER_PASSWORD } });
  });
  after(async () => {
    for (const cli of clis) await cli.remove();
    await wharf?.stop();
  });

  /** POST /oauth2/token with a refresh grant: 200 only for a live refresh token of this registry. */
  const refreshGrant = (refreshToken: string) =>
    wharf.fetch('/oauth2/token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, service: wharf.host, client_id: 'docker', scope: 'repository:a/b:pull' }).toString(),
    });

  it('stores a refresh token in its own config (0700 dir, 0600 file) and in docker\'s config under the null GUID', async () => {
    const cli = await newCli();
    const res = await cli.run(['login', wharf.host, '-u', 'owner', '-p', OWNER_PASSWORD, '--ca-file', wharf.caFile!]);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout, 'Login Succeeded\n');

    const config = await cli.cliConfig();
    assert.equal(config.current, wharf.host);
    const stored = config.registries[wharf.host]!;
    assert.equal(stored.url, wharf.url);
    assert.equal(stored.username, 'owner');
    assert.equal(stored.caFile, wharf.caFile);
    assert.ok(stored.refreshToken);
    assert.equal((await stat(cli.configDir)).mode & 0o777, 0o700);
    assert.equal((await stat(join(cli.configDir, 'config.json'))).mode & 0o777, 0o600);

    const docker = await cli.dockerConfig();
    assert.deepEqual(docker.auths?.[wharf.host], { auth: Buffer.from(`${NULL_GUID}:`).toString('base64'), identitytoken: stored.refreshToken });
    assert.equal((await stat(join(cli.dockerConfigDir, 'config.json'))).mode & 0o777, 0o600);

    const refreshed = await refreshGrant(stored.refreshToken!);
    assert.equal(refreshed.status, 200, await refreshed.clone().text());
    assert.ok(((await refreshed.json()) as { access_token?: string }).access_token);
    // The null-GUID Basic login docker may also send (spec 1.2).
    const basic = await wharf.fetch(`/oauth2/token?service=${encodeURIComponent(wharf.host)}&scope=repository:a/b:pull`, {
      headers: { authorization: `Basic ${Buffer.from(`${NULL_GUID}:${stored.refreshToken}`).toString('base64')}` },
    });
    assert.equal(basic.status, 200, await basic.text());
  });

  it('reads the password from stdin and keeps every other key of docker\'s config', async () => {
    const cli = await newCli();
    await mkdir(cli.dockerConfigDir, { recursive: true });
    const other = { auths: { 'other.example': { auth: 'b3RoZXI6c2VjcmV0' } }, psFormat: 'table {{.ID}}' };
    await writeFile(join(cli.dockerConfigDir, 'config.json'), JSON.stringify(other));
    const res = await cli.run(['login', wharf.host, '-u', 'owner', '--password-stdin', '--ca-file', wharf.caFile!], { input: `${OWNER_PASSWORD}\n` });
    assert.equal(res.code, 0, res.stderr);
    const docker = await cli.dockerConfig();
    assert.equal(docker.psFormat, other.psFormat);
    assert.deepEqual(docker.auths?.['other.example'], other.auths['other.example']);
    assert.ok(docker.auths?.[wharf.host]?.identitytoken);
  });

  it('--expose-token prints the refresh token as az acr login does and leaves docker alone', async () => {
    const cli = await newCli();
    const res = await cli.run(['login', wharf.host, '-u', 'owner', '-p', OWNER_PASSWORD, '--ca-file', wharf.caFile!, '--expose-token']);
    assert.equal(res.code, 0, res.stderr);
    const printed = JSON.parse(res.stdout) as Record<string, string>;
    assert.deepEqual(Object.keys(printed), ['accessToken', 'loginServer', 'refreshToken', 'username']);
    assert.equal(printed.loginServer, wharf.host);
    assert.equal(printed.username, NULL_GUID);
    assert.equal(printed.accessToken, printed.refreshToken);
    assert.match(res.stderr, /refresh token/);
    assert.equal((await refreshGrant(printed.refreshToken!)).status, 200);
    await assert.rejects(cli.dockerConfig(), { code: 'ENOENT' });

    const queried = await cli.run(['login', wharf.host, '-u', 'owner', '-p', OWNER_PASSWORD, '--expose-token', '--query', 'username', '-o', 'tsv']);
    assert.equal(queried.code, 0, queried.stderr);
    assert.equal(queried.stdout, `${NULL_GUID}\n`);
  });

  it('a wrong password exits 4 with one line on stderr, and stores nothing', async () => {
    const cli = await newCli();
    const res = await cli.run(['login', wharf.host, '-u', 'owner', '-p', 'wrong', '--ca-file', wharf.caFile!]);
    assert.equal(res.code, 4);
    assert.equal(res.stdout, '');
    assert.match(res.stderr, /^wharf: .*refused the user name or password\n$/);
    await assert.rejects(cli.cliConfig(), { code: 'ENOENT' });
    await assert.rejects(cli.dockerConfig(), { code: 'ENOENT' });
  });

  it('an untrusted certificate or a closed port exits 5 (network), naming --ca-file for the former', async () => {
    const cli = await newCli();
    const untrusted = await cli.run(['login', wharf.host, '-u', 'owner', '-p', OWNER_PASSWORD]);
    assert.equal(untrusted.code, 5, untrusted.stderr);
    assert.match(untrusted.stderr, /^wharf: cannot reach .*--ca-file.*\n$/);
    const closed = await cli.run(['login', `127.0.0.1:${await freePort()}`, '-u', 'owner', '-p', OWNER_PASSWORD]);
    assert.equal(closed.code, 5, closed.stderr);
    assert.match(closed.stderr, /ECONNREFUSED/);
    await assert.rejects(cli.cliConfig(), { code: 'ENOENT' });
  });

  it('usage mistakes exit 2', async () => {
    const cli = await newCli();
    const noUser = await cli.run(['login', wharf.host, '-p', OWNER_PASSWORD]);
    assert.equal(noUser.code, 2);
    assert.match(noUser.stderr, /user name/);
    const badOutput = await cli.run(['login', wharf.host, '-u', 'owner', '-p', OWNER_PASSWORD, '-o', 'xml']);
    assert.equal(badOutput.code, 2);
    assert.match(badOutput.stderr, /xml/);
    const unknownOption = await cli.run(['show', '--bogus']);
    assert.equal(unknownOption.code, 2);
    const nothingSelected = await cli.run(['show']);
    assert.equal(nothingSelected.code, 2);
    assert.match(nothingSelected.stderr, /^wharf: no registry selected: run 'wharf login <host:port>' first/);
  });

  it('logout forgets the registry in both configs and leaves others', async () => {
    const cli = await newCli();
    assert.equal((await cli.run(['login', wharf.host, '-u', 'owner', '-p', OWNER_PASSWORD, '--ca-file', wharf.caFile!])).code, 0);
    const docker = await cli.dockerConfig();
    docker.auths!['other.example'] = { auth: 'b3RoZXI6c2VjcmV0' };
    await writeFile(join(cli.dockerConfigDir, 'config.json'), JSON.stringify(docker));

    const res = await cli.run(['logout']);
    assert.equal(res.code, 0, res.stderr);
    const config = await cli.cliConfig();
    assert.deepEqual(config.registries, {});
    assert.equal(config.current, undefined);
    assert.deepEqual((await cli.dockerConfig()).auths, { 'other.example': { auth: 'b3RoZXI6c2VjcmV0' } });
    assert.equal((await cli.run(['logout'])).code, 2);
  });

  it('a registry without auth is refused: there is nothing to log in to', async () => {
    const open = await startWharf({ env: { WHARF_AUTH__ENABLED: 'false' } });
    try {
      const cli = await newCli();
      const res = await cli.run(['login', open.host, '-u', 'owner', '-p', OWNER_PASSWORD, '--ca-file', open.caFile!]);
      assert.equal(res.code, 1);
      assert.match(res.stderr, /does not ask for credentials/);
    } finally {
      await open.stop();
    }
  });

  it('every command has --help with examples', async () => {
    const cli = await newCli();
    for (const command of [['login'], ['logout'], ['show'], ['update'], ['credential', 'renew'], ['role', 'assignment', 'create'], ['ad', 'user', 'create'], ['ad', 'sp', 'create-for-rbac'], ['scope-map', 'create'], ['token', 'credential', 'generate'], ['token'], ['ad'], ['ad', 'sp'], ['role', 'assignment'], ['credential']]) {
      const res = await cli.run([...command, '--help']);
      assert.equal(res.code, 0, `${command.join(' ')}: ${res.stderr}`);
      assert.match(res.stdout, /Examples:\n {2}wharf /, command.join(' '));
    }
  });
});
