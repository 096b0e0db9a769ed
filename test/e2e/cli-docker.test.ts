import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { forwardIpv6Loopback, startDockerd, trustRegistryCa, type Dockerd } from '../helpers/dockerd.ts';
import { dockerArchive, randomLayer } from '../helpers/images.ts';
import { describeFailure, type RunResult } from '../helpers/run.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { wharfCli, type WharfCli } from '../helpers/wharf-cli.ts';
import { startWharf, type WharfInstance } from '../helpers/wharf.ts';

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
  const cleanups: Array<() => Promise<void>> = [];

  const docker = async (args: string[]): Promise<RunResult> => {
    const res = await dockerd.docker(args);
    if (res.code !== 0) assert.fail(`${describeFailure('docker', args, res)}\n--- registry\n${wharf.output().slice(-4000)}`);
    return res;
  };

  before(async () => {
    wharf = await startWharf({ env: { WHARF_AUTH__ENABLED: 'true', WHARF_AUTH__OWNER_PASSWORD: OWNER_PASSWORD } });
    cleanups.push(() => wharf.stop());
    cleanups.push(await forwardIpv6Loopback(wharf.port));
    dockerd = await startDockerd({ hosts: '::1 localhost\n' });
    cleanups.push(() => dockerd.stop());
    host = `localhost:${wharf.port}`;
    cleanups.push(await trustRegistryCa(host, wharf.caPem!));
    cli = await wharfCli({ dockerConfigDir: dockerd.env.DOCKER_CONFIG });
    cleanups.push(() => cli.remove());
    const work = await tmpDir('wharf-e2e-cli-');
    cleanups.push(() => work.remove());
    const archive = dockerArchive([randomLayer(1, 64 * 1024)], `e2e-src/cli:${Date.now()}`);
    const tar = join(work.path, 'image.tar');
    await writeFile(tar, archive.tar);
    await docker(['load', '-i', tar]);
    await docker(['tag', archive.imageId, `${host}/e2e/cli:1`]);
  });

  after(async () => {
    const errors: unknown[] = [];
    for (const cleanup of cleanups.reverse()) await cleanup().catch((e: unknown) => errors.push(e));
    if (errors.length > 0) throw new AggregateError(errors, 'e2e cleanup failed');
  });

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

  it('after wharf logout docker has no credentials left and the pull is refused', async () => {
    assert.equal((await cli.run(['logout', host])).code, 0);
    assert.equal((await cli.dockerConfig()).auths?.[host], undefined);
    await docker(['rmi', `${host}/e2e/cli:1`]);
    const pull = await dockerd.docker(['pull', `${host}/e2e/cli:1`]);
    assert.notEqual(pull.code, 0, pull.stdout);
    assert.match(pull.stderr, /unauthorized|authentication required|no basic auth credentials/i);
  });
});
