import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assessDockerClient } from '../../src/cli/local-client-checks.ts';

// What `docker version --format '{{.Client.Version}}'` printed, judged: docker 29 dropped Docker
// Content Trust, so check-health points its users to the registry's enforced policy.
describe('assessDockerClient (wharf check-health)', () => {
  const ran = (stdout: string, code = 0, stderr = '') => assessDockerClient({ missing: false, code, stdout, stderr });

  it('accepts docker 28 as doing content trust', () => {
    const check = ran('28.2.2\n');
    assert.equal(check.status, 'ok');
    assert.equal(check.message, 'Docker client version: 28.2.2 (does Docker Content Trust)');
    assert.deepEqual(check.details, { version: '28.2.2', major: 28, contentTrust: true, daemonReachable: true });
  });

  it('warns that docker 29+ does no content trust and points to the enforced policy', () => {
    for (const version of ['29.0.0', '29.1.0-rc.1', '30.0.1']) {
      const check = ran(`${version}\n`);
      assert.equal(check.status, 'warning', version);
      assert.equal(check.code, 'DOCKER_CONTENT_TRUST_UNSUPPORTED');
      assert.match(check.hint!, /wharf config content-trust update --status enforced/);
      assert.equal(check.details!.contentTrust, false);
    }
  });

  it('warns when the daemon is unreachable (the version is still printed, exit 1)', () => {
    const check = ran('28.2.2\n', 1, 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n');
    assert.equal(check.status, 'warning');
    assert.equal(check.code, 'DOCKER_DAEMON_ERROR');
    assert.match(check.message, /Cannot connect to the Docker daemon/);
  });

  it('is an error when docker is missing or prints no version', () => {
    assert.equal(assessDockerClient({ missing: true }).code, 'DOCKER_COMMAND_ERROR');
    const garbled = ran('', 125, 'unknown flag: --format\n');
    assert.equal(garbled.status, 'error');
    assert.equal(garbled.code, 'DOCKER_VERSION_ERROR');
    assert.match(garbled.message, /unknown flag/);
  });
});
