import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWharf, WHARF_BIN, type WharfInstance } from '../helpers/wharf.ts';
import { run } from '../helpers/run.ts';
import { waitFor } from '../helpers/net.ts';
import { pushImage, uniqueRepo } from '../helpers/oci.ts';
import { basicAuthorization } from '../helpers/registry-login.ts';

describe('operations endpoints and logs', () => {
  let reg: WharfInstance;
  before(async () => {
    reg = await startWharf({ args: ['--log-level', 'info'] });
  });
  after(() => reg.stop());

  it('answers /healthz and /readyz when the stores answer', async () => {
    assert.equal((await reg.fetch('/healthz')).status, 200);
    const ready = await reg.fetch('/readyz');
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { status: 'ready' });
  });

  it('exports request counts by route and status, latency, bytes and uploads in flight', async () => {
    const repo = uniqueRepo('metrics');
    await pushImage(reg, repo, { reference: 'v1' });
    await (await reg.fetch(`/v2/${repo}/manifests/v1`)).arrayBuffer();
    await (await reg.fetch(`/v2/${repo}/manifests/missing`)).arrayBuffer();
    const text = await (await reg.fetch('/metrics')).text();
    assert.match(text, /wharf_http_requests_total\{route="manifest",method="GET",status="200"\} [1-9]/);
    assert.match(text, /wharf_http_requests_total\{route="manifest",method="GET",status="404"\} [1-9]/);
    assert.match(text, /wharf_http_request_duration_seconds_bucket\{le="0.005",route="manifest",method="PUT"\}/);
    assert.match(text, /wharf_bytes_received_total [1-9]/);
    assert.match(text, /wharf_bytes_sent_total [1-9]/);
    assert.match(text, /wharf_uploads_in_flight 0/);
  });

  it('logs each request with a request id and never the Authorization header', async () => {
    const authorization = basicAuthorization(reg.credentials!);
    const secret = authorization.slice('Basic '.length);
    await (await reg.fetch('/v2/', { headers: { authorization, 'x-request-id': 'trace-42' } })).arrayBuffer();
    await waitFor('the request log line', async () => reg.output().includes('trace-42'));
    const line = reg.output().split('\n').find((l) => l.includes('trace-42'))!;
    const entry = JSON.parse(line) as { reqId: string; status: number; url: string };
    assert.equal(entry.reqId, 'trace-42');
    assert.equal(entry.status, 200);
    assert.ok(!reg.output().includes(secret));
    assert.ok(!reg.output().includes(reg.credentials!.password));
  });
});

describe('wharf check-config', () => {
  it('prints the merged configuration when it is valid', async () => {
    const res = await run(process.execPath, [WHARF_BIN, 'check-config', '--listen', '0.0.0.0:7000'], { env: { ...process.env, WHARF_DATA: '/srv/wharf' } });
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /configuration is valid/);
    assert.match(res.stdout, /"listen": "0.0.0.0:7000"/);
    assert.match(res.stdout, /"data": "\/srv\/wharf"/);
  });

  it('lists every problem and exits non-zero', async () => {
    const res = await run(process.execPath, [WHARF_BIN, 'check-config', '--listen', 'nowhere', '--metadata', 'mysql://x', '--log-level', 'loud']);
    assert.equal(res.code, 2);
    assert.match(res.stderr, /listen/);
    assert.match(res.stderr, /metadata/);
    assert.match(res.stderr, /log\.level/);
  });

  it('hides the database password', async () => {
    const res = await run(process.execPath, [WHARF_BIN, 'check-config', '--metadata', 'postgres://wharf:hunter2@db/wharf']);
    assert.equal(res.code, 0, res.stderr);
    assert.ok(!res.stdout.includes('hunter2'));
  });
});
