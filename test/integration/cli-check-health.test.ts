import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../helpers/net.ts';
import { mustRun } from '../helpers/run.ts';
import { makeServerCertificates } from '../helpers/tls.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { TRUST_ENABLED_ENV } from '../helpers/trust-api.ts';
import { wharfCli, type WharfCli } from '../helpers/wharf-cli.ts';
import { startWharf, type WharfInstance } from '../helpers/wharf.ts';

interface Report {
  registry: string | null;
  healthy: boolean;
  checks: { name: string; status: string; code?: string; message: string; hint?: string; details?: Record<string, unknown> }[];
}

const REGISTRY_CHECKS = ['dns', 'connection', 'tls', 'challenge', 'clockSkew', 'token', 'trustServer', 'contentTrustPolicy'];

// wharf check-health: the real CLI against real Wharf processes, the machine's docker and notary.
describe('wharf check-health (real CLI against a real Wharf)', { timeout: 300_000 }, () => {
  let wharf: WharfInstance;
  let cli: WharfCli;
  let dockerVersion: string;

  before(async () => {
    wharf = await startWharf({ env: TRUST_ENABLED_ENV });
    cli = await wharfCli();
    const login = await cli.run(['login', wharf.host, '-u', 'owner', '-p', wharf.credentials!.password, '--ca-file', wharf.caFile!]);
    assert.equal(login.code, 0, login.stderr);
    // The docker CLI prints its client version even without a daemon (and exits 1 then).
    dockerVersion = (await mustRun('docker', ['--version'])).stdout.match(/version (\d+\.\d+\.\d+)/)![1]!;
  });
  after(async () => {
    await cli?.remove();
    await wharf?.stop();
  });

  it('reports every check of a healthy registry as OK, with the policy read through the login, and exits 0', async () => {
    assert.equal((await cli.run(['config', 'content-trust', 'update', '--status', 'enforced'])).code, 0);
    const res = await cli.run(['check-health']);
    assert.equal(res.code, 0, res.stderr + res.stdout);
    assert.equal(res.stderr, '');
    const lines = res.stdout.split('\n');
    for (const expected of [
      `DNS lookup to 127.0.0.1 at IP 127.0.0.1 : OK`,
      `Connection to ${wharf.host} : OK`,
      `Challenge endpoint ${wharf.url}/v2/ : OK`,
      `Trust server ${wharf.url}/_notary_server/health : OK`,
      `Content trust policy of ${wharf.host}: enforced : OK`,
    ]) assert.ok(lines.includes(expected), `missing '${expected}' in:\n${res.stdout}`);
    assert.match(res.stdout, new RegExp(`^TLS certificate of ${wharf.host} \\(CN=localhost\\), trusted, expires \\S+ \\(in 39\\d days\\) : OK$`, 'm'));
    assert.match(res.stdout, new RegExp(`^Clock skew with ${wharf.host}: -?[01] s : OK$`, 'm'));
    assert.match(res.stdout, new RegExp(`^Fetch access token for registry '${wharf.host}' \\(with the stored login\\) from ${wharf.url}/oauth2/token : OK$`, 'm'));
    assert.match(res.stdout, new RegExp(`Docker client version: ${dockerVersion.replace(/\./g, '\\.')}`));
    assert.match(res.stdout, /^Notary client version: .+ : OK$/m);
    assert.doesNotMatch(res.stdout, /An error occurred/);
  });

  it('-o json gives the structured result: the registry, healthy, every check with its details', async () => {
    const report = (await cli.json(['check-health', '-n', wharf.host, '-o', 'json'])) as Report;
    assert.equal(report.registry, wharf.host);
    assert.equal(report.healthy, true);
    assert.deepEqual(report.checks.map((c) => c.name), ['dockerClient', ...REGISTRY_CHECKS, 'notaryClient']);
    const byName = new Map(report.checks.map((c) => [c.name, c]));
    for (const name of REGISTRY_CHECKS) assert.equal(byName.get(name)!.status, 'ok', JSON.stringify(byName.get(name)));
    assert.equal(byName.get('dockerClient')!.details!.version, dockerVersion);
    assert.equal(byName.get('dockerClient')!.details!.contentTrust, Number(dockerVersion.split('.')[0]) < 29);
    assert.equal(byName.get('tls')!.details!.trusted, true);
    assert.ok((byName.get('tls')!.details!.daysLeft as number) > 30);
    assert.ok(Math.abs(byName.get('clockSkew')!.details!.skewSeconds as number) <= 1);
    assert.equal(byName.get('contentTrustPolicy')!.details!.status, 'enforced');
    const tsv = await cli.run(['check-health', '-o', 'tsv', '--query', "checks[?status=='error'] | length(@)"]);
    assert.equal(tsv.stdout, '0\n');
  });

  it('stops at an unreachable address with CONNECTIVITY_ERROR and exit code 5; --ignore-errors runs the rest and exits 0', async () => {
    const closed = `127.0.0.1:${await freePort()}`;
    const res = await cli.run(['check-health', '-n', closed]);
    assert.equal(res.code, 5, res.stderr + res.stdout);
    assert.match(res.stdout, new RegExp(`^An error occurred: CONNECTIVITY_ERROR\ncannot reach ${closed}: connect ECONNREFUSED \\S+\n  Hint: is Wharf running`, 'm'));
    assert.doesNotMatch(res.stdout, /Notary client version|Challenge endpoint/);
    assert.equal(res.stderr, 'wharf: check-health stopped at CONNECTIVITY_ERROR; --ignore-errors runs every check\n');

    const ignored = await cli.run(['check-health', '-n', `https://${closed}`, '--ignore-errors', '-o', 'json']);
    assert.equal(ignored.code, 0, ignored.stderr);
    const report = JSON.parse(ignored.stdout) as Report;
    assert.equal(report.healthy, false);
    assert.deepEqual(report.checks.map((c) => `${c.name}:${c.status}`).slice(1), ['dns:ok', 'connection:error', 'notaryClient:ok']);

    const dns = await cli.run(['check-health', '-n', 'no-such-host.invalid:5443']);
    assert.equal(dns.code, 5);
    assert.match(dns.stdout, /^An error occurred: CONNECTIVITY_DNS_ERROR\nDNS lookup to no-such-host\.invalid failed: ENOTFOUND$/m);
  });

  describe('a registry whose certificate expires soon (--tls-cert/--tls-key, valid 2 days)', () => {
    let expiring: WharfInstance;
    let data: { path: string; remove(): Promise<void> };
    let tlsDir: string;

    before(async () => {
      data = await tmpDir('wharf-check-health-');
      // In <data>/tls, where startWharf finds the CA to trust; Wharf serves the given files instead of generating any.
      tlsDir = join(data.path, 'tls');
      await mkdir(tlsDir);
      await makeServerCertificates(tlsDir, 'check-health test CA');
      expiring = await startWharf({ dataDir: data.path, args: ['--tls-cert', join(tlsDir, 'server.crt'), '--tls-key', join(tlsDir, 'server.key')] });
    });
    after(async () => {
      await expiring?.stop();
      await data?.remove();
    });

    it('warns with TLS_CERTIFICATE_EXPIRING and the days left, exit 0; without its CA the certificate is an error (exit 5)', async () => {
      const res = await cli.run(['check-health', '-n', `https://${expiring.host}`, '--ca-file', join(tlsDir, 'ca.crt')]);
      assert.equal(res.code, 0, res.stderr + res.stdout);
      assert.match(res.stdout, new RegExp(`^WARNING: TLS_CERTIFICATE_EXPIRING: the TLS certificate of ${expiring.host} \\(CN=localhost\\) expires in [01] day\\(s\\), at \\S+\n  Hint: renew`, 'm'));
      assert.match(res.stdout, new RegExp(`^Trust server ${expiring.url}/_notary_server/health : OK$`, 'm'));
      // Not logged in to this one: the policy needs a login, the token endpoint wants credentials.
      assert.match(res.stdout, /^Content trust policy of .+: needs a login .+ : SKIPPED$/m);

      const untrusted = await cli.run(['check-health', '-n', expiring.host]);
      assert.equal(untrusted.code, 5);
      assert.match(untrusted.stdout, new RegExp(`^An error occurred: CONNECTIVITY_SSL_ERROR\nthe TLS certificate of ${expiring.host} is not trusted: \\w+\n  Hint: trust the registry's CA: --ca-file`, 'm'));
    });
  });
});
