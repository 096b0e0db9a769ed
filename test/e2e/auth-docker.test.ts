import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startDockerWithWharf, type DockerWithWharf } from '../helpers/docker-wharf.ts';
import type { Dockerd } from '../helpers/dockerd.ts';
import { dockerArchive, randomLayer } from '../helpers/images.ts';
import { describeFailure, type RunResult } from '../helpers/run.ts';
import { tmpDir } from '../helpers/tmp.ts';
import type { WharfInstance } from '../helpers/wharf.ts';

const OWNER_PASSWORD = 'owner-password-for-e2e';

// As in docker.test.ts: dockerd reaches the registry as localhost:<port>, localhost resolving to ::1
// (its own /etc/hosts) forwarded to 127.0.0.1, so that TLS is verified against certs.d. The realm
// and service of the challenge are then localhost:<port> too (one of the certificate's names).
describe('docker login against Wharf (authentication on by default; own dockerd)', { timeout: 300_000 }, () => {
  let wharf: WharfInstance;
  let dockerd: Dockerd;
  let host: string;
  let e2e: DockerWithWharf | undefined;

  const docker = async (args: string[], input?: string): Promise<RunResult> => {
    const res = await dockerd.docker(args, input === undefined ? {} : { input });
    if (res.code !== 0) assert.fail(`${describeFailure('docker', args, res)}\n--- registry\n${wharf.output().slice(-4000)}`);
    return res;
  };

  before(async () => {
    e2e = await startDockerWithWharf({ ownerPassword: OWNER_PASSWORD });
    ({ wharf, dockerd, host } = e2e);
    const work = await tmpDir('wharf-e2e-auth-');
    e2e!.defer(() => work.remove());
    const archive = dockerArchive([randomLayer(1, 64 * 1024)], `e2e-src/auth:${Date.now()}`);
    const tar = join(work.path, 'image.tar');
    await writeFile(tar, archive.tar);
    await docker(['load', '-i', tar]);
    await docker(['tag', archive.imageId, `${host}/e2e/auth:1`]);
  });

  after(() => e2e?.stop());

  // Slow (about 50 s): the token endpoint answers an anonymous push scope with 401 (spec 1.2 [W]),
  // which dockerd's pusher treats as retryable and retries five times before giving up.
  it('refuses a push without login with an authentication error, and stores nothing', async () => {
    const res = await dockerd.docker(['push', `${host}/e2e/auth:1`]);
    assert.notEqual(res.code, 0, `push without login succeeded:\n${res.stdout}`);
    assert.match(res.stderr, /unauthorized|authentication required|no basic auth credentials/i);
    const tags = await wharf.fetch('/v2/e2e/auth/tags/list');
    assert.equal(tags.status, 404, await tags.text());
  });

  it('logs in with the owner credentials, then pushes and pulls', async () => {
    const login = await docker(['login', host, '-u', 'owner', '--password-stdin'], OWNER_PASSWORD);
    assert.match(login.stdout, /Login Succeeded/);
    await docker(['push', `${host}/e2e/auth:1`]);
    await docker(['rmi', `${host}/e2e/auth:1`]);
    const pull = await docker(['pull', `${host}/e2e/auth:1`]);
    assert.match(pull.stdout, /Downloaded newer image|Image is up to date/);
  });
});
