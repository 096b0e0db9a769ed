import assert from 'node:assert/strict';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startDockerWithWharf, type DockerWithWharf } from '../helpers/docker-wharf.ts';
import type { Dockerd } from '../helpers/dockerd.ts';
import { dockerArchive, randomLayer } from '../helpers/images.ts';
import { describeFailure, run, type RunResult } from '../helpers/run.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { wharfCli, type WharfCli } from '../helpers/wharf-cli.ts';
import type { WharfInstance } from '../helpers/wharf.ts';

const OWNER_PASSWORD = 'owner-password-for-cli-e2e';
const NULL_GUID = '00000000-0000-0000-0000-000000000000';

// `wharf login` writes docker's config itself (no `docker login`): this proves that a real dockerd
// pushes and pulls with what it wrote, a refresh token under the null GUID, exchanged by dockerd
// with `grant_type=refresh_token`. Network set-up as in auth-docker.test.ts (localhost:<port>).
describe('docker push and pull after wharf login (own dockerd)', { timeout: 300_000 }, () => {
  let wharf: WharfInstance;
  let dockerd: Dockerd;
  let cli: WharfCli;
  let host: string;
  let e2e: DockerWithWharf | undefined;

  const docker = async (args: string[]): Promise<RunResult> => {
    const res = await dockerd.docker(args);
    if (res.code !== 0) assert.fail(`${describeFailure('docker', args, res)}\n--- registry\n${wharf.output().slice(-4000)}`);
    return res;
  };

  before(async () => {
    e2e = await startDockerWithWharf({ env: { WHARF_AUTH__ENABLED: 'true', WHARF_AUTH__OWNER_PASSWORD: OWNER_PASSWORD } });
    ({ wharf, dockerd, host } = e2e);
    cli = await wharfCli({ dockerConfigDir: dockerd.env.DOCKER_CONFIG });
    e2e!.defer(() => cli.remove());
    const work = await tmpDir('wharf-e2e-cli-');
    e2e!.defer(() => work.remove());
    const archive = dockerArchive([randomLayer(1, 64 * 1024)], `e2e-src/cli:${Date.now()}`);
    const tar = join(work.path, 'image.tar');
    await writeFile(tar, archive.tar);
    await docker(['load', '-i', tar]);
    await docker(['tag', archive.imageId, `${host}/e2e/cli:1`]);
  });

  after(() => e2e?.stop());

  it('wharf login hands docker a refresh token, with which it pushes and pulls; the password is never stored', async () => {
    const login = await cli.run(['login', host, '-u', 'owner', '--password-stdin', '--ca-file', wharf.caFile!], { input: OWNER_PASSWORD });
    assert.equal(login.code, 0, login.stderr);
    const auth = (await cli.dockerConfig()).auths?.[host];
    assert.equal(auth?.auth, Buffer.from(`${NULL_GUID}:`).toString('base64'));
    assert.ok(auth?.identitytoken);
    assert.ok(!JSON.stringify(await cli.dockerConfig()).includes(OWNER_PASSWORD));

    await docker(['push', `${host}/e2e/cli:1`]);
    await docker(['rmi', `${host}/e2e/cli:1`]);
    const pull = await docker(['pull', `${host}/e2e/cli:1`]);
    assert.match(pull.stdout, /Downloaded newer image|Image is up to date/);
    // The refresh token is still the one wharf wrote: Wharf never rotates it (spec 1.3).
    assert.equal((await cli.dockerConfig()).auths?.[host]?.identitytoken, auth.identitytoken);
  });

  // A credential helper speaking docker's protocol (store/get/erase/list over stdin and stdout),
  // keeping each entry as a file: what the docker CLI reads when config.json names a credsStore.
  const FILE_HELPER = `#!/usr/bin/env node
const fs = require('node:fs'), path = require('node:path');
const dir = process.env.WHARF_TEST_CRED_DIR;
const file = (server) => path.join(dir, Buffer.from(server).toString('hex'));
const input = fs.readFileSync(0, 'utf8');
switch (process.argv[2]) {
  case 'store': { const c = JSON.parse(input); fs.writeFileSync(file(c.ServerURL), input); break; }
  case 'get': { const f = file(input.trim()); if (!fs.existsSync(f)) { process.stdout.write('credentials not found in native keychain'); process.exit(1); } process.stdout.write(fs.readFileSync(f)); break; }
  case 'erase': fs.rmSync(file(input.trim()), { force: true }); break;
  case 'list': process.stdout.write('{}'); break;
}
`;

  it('with a docker credential helper configured, the refresh token goes to the helper and docker pulls with it', async () => {
    const work = await tmpDir('wharf-e2e-credhelper-');
    e2e!.defer(() => work.remove());
    const bin = join(work.path, 'bin');
    const store = join(work.path, 'store');
    await mkdir(bin);
    await mkdir(store);
    await writeFile(join(bin, 'docker-credential-wharftest'), FILE_HELPER);
    await chmod(join(bin, 'docker-credential-wharftest'), 0o755);
    const env = { PATH: `${bin}:${process.env.PATH}`, WHARF_TEST_CRED_DIR: store };
    const helperCli = await wharfCli();
    e2e!.defer(() => helperCli.remove());
    await mkdir(helperCli.dockerConfigDir, { recursive: true });
    await writeFile(join(helperCli.dockerConfigDir, 'config.json'), JSON.stringify({ credsStore: 'wharftest' }));

    const login = await helperCli.run(['login', host, '-u', 'owner', '-p', OWNER_PASSWORD, '--ca-file', wharf.caFile!], { env });
    assert.equal(login.code, 0, login.stderr);
    assert.deepEqual((await helperCli.dockerConfig()).auths?.[host], {}, 'config.json only names the registry');
    const stored = await run('docker-credential-wharftest', ['get'], { input: host, env: { ...process.env, ...env } });
    const entry = JSON.parse(stored.stdout) as { Username: string; Secret: string };
    assert.equal(entry.Username, '<token>');
    assert.equal(entry.Secret, (await helperCli.cliConfig()).registries[host]?.refreshToken);

    const dockerEnv = { ...dockerd.env, ...env, DOCKER_CONFIG: helperCli.dockerConfigDir };
    await run('docker', ['rmi', '-f', `${host}/e2e/cli:1`], { env: dockerEnv });
    const pull = await run('docker', ['pull', `${host}/e2e/cli:1`], { env: dockerEnv });
    assert.equal(pull.code, 0, describeFailure('docker', ['pull'], pull));

    assert.equal((await helperCli.run(['logout'], { env })).code, 0);
    assert.notEqual((await run('docker-credential-wharftest', ['get'], { input: host, env: { ...process.env, ...env } })).code, 0, 'erased from the helper');
  });

  it('after wharf logout docker has no credentials left and the pull is refused', async () => {
    assert.equal((await cli.run(['logout', host])).code, 0);
    assert.equal((await cli.dockerConfig()).auths?.[host], undefined);
    await docker(['rmi', `${host}/e2e/cli:1`]);
    const pull = await dockerd.docker(['pull', `${host}/e2e/cli:1`]);
    assert.notEqual(pull.code, 0, pull.stdout);
    assert.match(pull.stderr, /unauthorized|authentication required|no basic auth credentials/i);
  });
});
