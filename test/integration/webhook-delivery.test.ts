import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { auditList, waitForAudit } from '../helpers/audit.ts';
import { forEachBackend, METADATA_BACKENDS } from '../helpers/backends.ts';
import { api } from '../helpers/management-api.ts';
import { pushImage, uniqueRepo } from '../helpers/oci.ts';
import { createTestDatabase } from '../helpers/postgres.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { startWharf, type WharfInstance } from '../helpers/wharf.ts';

interface Received {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A real HTTP receiver: answers each path's first `failures[path]` requests with 500, then 200; keeps every request. */
class Receiver {
  readonly received: Received[] = [];
  readonly failures = new Map<string, number>();
  #server: Server | undefined;
  url = '';

  /** Listens on `port` (default: a free one), e.g. again on the port a webhook already points at. */
  async start(port = 0): Promise<void> {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const path = req.url ?? '';
        this.received.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        const left = this.failures.get(path) ?? 0;
        this.failures.set(path, left - 1);
        res.writeHead(left > 0 ? 500 : 200).end(left > 0 ? 'not yet' : 'ok');
      });
    });
    await new Promise<void>((resolve) => this.#server!.listen(port, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server!.address() as AddressInfo).port}`;
  }

  at(path: string): Received[] {
    return this.received.filter((r) => r.path === path);
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.#server?.close(resolve));
  }
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await sleep(100);
  }
  assert.fail(`timed out waiting for ${what}`);
}

/** A port nothing listens on (just released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const sign = (secret: string, body: string) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

forEachBackend('webhooks', (backend) => {
  const receiver = new Receiver();
  before(() => receiver.start());
  after(() => receiver.stop());

  it('delivers a push as a signed CloudEvent, retrying with backoff after 500s, and logs every attempt with its status code', async () => {
    const registry = backend.registry;
    const repo = uniqueRepo('hooks/app');
    const path = `/push-${backend.backend}`;
    receiver.failures.set(path, 2);
    const created = await api(registry, 'POST', '/api/webhooks', {
      name: `push${backend.backend}`, uri: receiver.url + path, actions: ['push'], scope: 'it/hooks/*', headers: { 'X-Team': 'platform' },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const { secret } = created.body as { secret: string };
    assert.match(secret, /.{20,}/);
    assert.deepEqual({ ...created.body, secret: '', creationDate: '', id: '' }, {
      actions: ['push'], creationDate: '', customHeaders: ['X-Team'], id: '', name: `push${backend.backend}`, provisioningState: 'Succeeded',
      resourceGroup: created.body.resourceGroup, scope: 'it/hooks/*', secret: '', serviceUri: receiver.url + path, status: 'enabled',
      type: 'Wharf.ContainerRegistry/registries/webhooks',
    });
    const shown = await api(registry, 'GET', `/api/webhooks/push${backend.backend}`);
    assert.equal(shown.body.secret, undefined, 'the secret is shown once');

    const pushedAt = Date.now();
    const image = await pushImage(registry, repo, { reference: 'v1' });
    await pushImage(registry, uniqueRepo('elsewhere/app'), { reference: 'v1' });
    const attempts = await until('three attempts', async () => (receiver.at(path).length >= 3 ? receiver.at(path) : undefined));
    // First retry after ~1 s, the next ~2 s later.
    assert.ok(Date.now() - pushedAt >= 2500, 'retries wait (exponential backoff)');
    assert.equal(new Set(attempts.map((a) => a.body)).size, 1, 'every attempt sends the same bytes');
    const last = attempts[2]!;
    assert.equal(last.headers['x-wharf-signature-256'], sign(secret, last.body));
    assert.equal(last.headers['content-type'], 'application/cloudevents+json; charset=utf-8');
    assert.equal(last.headers['x-team'], 'platform');
    const event = JSON.parse(last.body);
    assert.equal(event.specversion, '1.0');
    assert.equal(event.type, 'io.wharf.image.pushed');
    assert.equal(event.source, registry.url);
    assert.equal(event.subject, repo);
    assert.equal(event.datacontenttype, 'application/json');
    assert.ok(Math.abs(Date.parse(event.time) - pushedAt) < 60_000);
    assert.deepEqual({ action: event.data.action, actor: event.data.actor, repository: event.data.repository, subject: event.data.subject, tag: event.data.detail.tag },
      { action: 'image.pushed', actor: 'owner', repository: repo, subject: image.manifest.digest, tag: 'v1' });
    assert.equal(event.id, event.data.hash, 'the id is the audit record hash');

    const log = await until('the delivery marked delivered', async () => {
      const res = await api(registry, 'GET', `/api/webhooks/push${backend.backend}/deliveries`);
      return res.body[0]?.status === 'delivered' ? res.body : undefined;
    });
    assert.equal(log.length, 1, 'the push elsewhere is outside the scope');
    assert.deepEqual(log[0].attempts.map((a: { statusCode: number }) => a.statusCode), [500, 500, 200]);
    assert.equal(log[0].statusCode, 200);
    assert.equal(log[0].payload, last.body);
    await sleep(1500);
    assert.equal(receiver.at(path).length, 3, 'nothing is sent again once delivered');
  });

  it('pings, lists and deletes webhooks; refuses bad input; logs a connection failure as an error', async () => {
    const registry = backend.registry;
    const name = `ping${backend.backend}`;
    const path = `/ping-${backend.backend}`;
    assert.equal((await api(registry, 'POST', '/api/webhooks', { name, uri: receiver.url + path, actions: ['delete'] })).status, 201);
    assert.equal((await api(registry, 'POST', '/api/webhooks', { name: name.toUpperCase(), uri: receiver.url, actions: ['push'] })).status, 409);
    assert.equal((await api(registry, 'POST', '/api/webhooks', { name: 'badaction', uri: receiver.url, actions: ['pull'] })).status, 400);
    assert.equal((await api(registry, 'POST', '/api/webhooks', { name: 'baduri1', uri: 'ftp://x/y', actions: ['push'] })).status, 400);
    assert.equal((await api(registry, 'POST', '/api/webhooks', { name: 'badscope', uri: receiver.url, actions: ['push'], scope: 'a*b' })).status, 400);
    assert.equal((await api(registry, 'POST', '/api/webhooks', { name: 'badheader', uri: receiver.url, actions: ['push'], headers: { 'no spaces': 'x' } })).status, 400);
    assert.equal((await api(registry, 'GET', '/api/webhooks/badheader')).status, 404);
    const ping = await api(registry, 'POST', `/api/webhooks/${name}/ping`);
    assert.equal(ping.status, 202);
    assert.equal(ping.body.eventType, 'io.wharf.ping');
    const got = await until('the ping', async () => receiver.at(path)[0]);
    assert.equal(JSON.parse(got.body).type, 'io.wharf.ping');
    const names = (await api(registry, 'GET', '/api/webhooks')).body.map((w: { name: string }) => w.name);
    assert.ok(names.includes(name));

    const dead = `dead${backend.backend}`;
    assert.equal((await api(registry, 'POST', '/api/webhooks', { name: dead, uri: `http://127.0.0.1:${await closedPort()}/nothing`, actions: ['push'] })).status, 201);
    await api(registry, 'POST', `/api/webhooks/${dead}/ping`);
    const failed = await until('a failed attempt', async () => {
      const res = await api(registry, 'GET', `/api/webhooks/${dead}/deliveries`);
      return res.body[0]?.attempts.length > 0 ? res.body[0] : undefined;
    });
    assert.equal(failed.status, 'pending');
    assert.equal(failed.attempts[0].error, 'ECONNREFUSED');
    assert.ok(failed.nextAttemptTime);

    assert.equal((await api(registry, 'DELETE', `/api/webhooks/${name}`)).status, 204);
    assert.equal((await api(registry, 'GET', `/api/webhooks/${name}`)).status, 404);
    assert.equal((await api(registry, 'DELETE', `/api/webhooks/${name}`)).status, 404);
    assert.equal((await api(registry, 'GET', `/api/webhooks/${name}/deliveries`)).status, 404);
  });

  it('PATCH /api/webhooks/<name> changes only the fields sent, regenerates the secret on request, and refuses bad input leaving the webhook as it was', async () => {
    const registry = backend.registry;
    const name = `upd${backend.backend}`;
    const first = `/upd-first-${backend.backend}`;
    const second = `/upd-second-${backend.backend}`;
    const created = await api(registry, 'POST', '/api/webhooks', { name, uri: receiver.url + first, actions: ['delete'], scope: 'it/upd/*', headers: { 'X-Old': 'old-value' } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const original = (await api(registry, 'GET', `/api/webhooks/${name}`)).body;

    const outsider = `webhook-outsider-${backend.backend}@example.com`;
    assert.equal((await api(registry, 'POST', '/api/users', { userPrincipalName: outsider, password: 'Outsider-Passw0rd-1' })).status, 201);
    const refusals: [unknown, number, string][] = [
      [{ uri: 'ftp://x/y' }, 400, 'InvalidRequest'],
      [{ uri: 'http://user:pw@example.com/' }, 400, 'InvalidRequest'],
      [{ scope: 'a*b' }, 400, 'InvalidRequest'],
      [{ actions: ['pull'] }, 400, 'InvalidRequest'],
      [{ actions: [] }, 400, 'InvalidRequest'],
      [{ status: 'paused' }, 400, 'InvalidRequest'],
      [{ headers: { 'bad header': 'x' } }, 400, 'InvalidRequest'],
      [{ regenerateSecret: 'yes' }, 400, 'InvalidRequest'],
      [{ name: 'renamed1' }, 400, 'InvalidRequest'],
      // Valid fields with one bad one: nothing is written.
      [{ uri: receiver.url + second, scope: 'a*b' }, 400, 'InvalidRequest'],
    ];
    for (const [body, status, code] of refusals) {
      const res = await api(registry, 'PATCH', `/api/webhooks/${name}`, body);
      assert.deepEqual([res.status, res.body?.error?.code, typeof res.body?.error?.message], [status, code, 'string'], JSON.stringify({ body, answer: res.body }));
    }
    const unknown = await api(registry, 'PATCH', '/api/webhooks/nosuchhook', { status: 'disabled' });
    assert.deepEqual([unknown.status, unknown.body.error.code], [404, 'NotFound']);
    const forbidden = await api(registry, 'PATCH', `/api/webhooks/${name}`, { status: 'disabled' }, `Basic ${Buffer.from(`${outsider}:Outsider-Passw0rd-1`).toString('base64')}`);
    assert.deepEqual([forbidden.status, forbidden.body.error.code], [403, 'AuthorizationFailed']);
    assert.deepEqual((await api(registry, 'GET', `/api/webhooks/${name}`)).body, original, 'refused updates change nothing');

    // A partial update: the scope stays; uri, actions and headers change; the secret stays.
    const updated = await api(registry, 'PATCH', `/api/webhooks/${name.toUpperCase()}`, { uri: receiver.url + second, actions: ['push'], headers: { 'X-New': 'new-value' } });
    assert.equal(updated.status, 200, JSON.stringify(updated.body));
    assert.deepEqual({ ...updated.body }, { ...original, serviceUri: receiver.url + second, actions: ['push'], customHeaders: ['X-New'] });
    const repo = uniqueRepo('upd/app');
    await pushImage(registry, repo, { reference: 'v1' });
    const pushed = await until('the push at the new uri', async () => receiver.at(second)[0]);
    assert.equal(JSON.parse(pushed.body).data.repository, repo);
    assert.equal(pushed.headers['x-new'], 'new-value');
    assert.equal(pushed.headers['x-old'], undefined);
    assert.equal(pushed.headers['x-wharf-signature-256'], sign(created.body.secret, pushed.body), 'the secret is unchanged');
    assert.equal(receiver.at(first).length, 0);

    // A new secret, shown once; the scope cleared; the headers removed.
    const rotated = await api(registry, 'PATCH', `/api/webhooks/${name}`, { regenerateSecret: true, scope: '', headers: {} });
    assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
    assert.match(rotated.body.secret, /.{20,}/);
    assert.notEqual(rotated.body.secret, created.body.secret);
    assert.deepEqual([rotated.body.scope, rotated.body.customHeaders], ['', []]);
    assert.equal((await api(registry, 'GET', `/api/webhooks/${name}`)).body.secret, undefined);
    await api(registry, 'POST', `/api/webhooks/${name}/ping`);
    const pinged = await until('the ping', async () => receiver.at(second).find((r) => JSON.parse(r.body).type === 'io.wharf.ping'));
    assert.equal(pinged.headers['x-wharf-signature-256'], sign(rotated.body.secret, pinged.body), 'signed with the new secret');
    assert.equal(pinged.headers['x-new'], undefined);

    // Disabled: a delivery queued now fails at its attempt instead of being sent.
    assert.equal((await api(registry, 'PATCH', `/api/webhooks/${name}`, { status: 'disabled' })).body.status, 'disabled');
    const sentBefore = receiver.at(second).length;
    const queued = await api(registry, 'POST', `/api/webhooks/${name}/ping`);
    const failed = await until('the disabled ping settled', async () => {
      const log = (await api(registry, 'GET', `/api/webhooks/${name}/deliveries`)).body as { id: number; status: string; attempts: { error?: string }[] }[];
      const entry = log.find((d) => d.id === queued.body.id);
      return entry?.status === 'failed' ? entry : undefined;
    });
    assert.equal(failed.attempts[0]!.error, 'the webhook is disabled');
    assert.equal(receiver.at(second).length, sentBefore);

    await waitForAudit(registry, { action: 'webhook.updated' }, (r) => r.subject === name && r.detail.status === 'disabled');
    const records = await auditList(registry, { action: 'webhook.updated' });
    const mine = records.filter((r) => r.subject === name).reverse();
    assert.deepEqual(mine.map((r) => [r.actor, r.detail]), [
      ['owner', { uri: receiver.url + second, actions: ['push'], headers: ['X-New'] }],
      ['owner', { regenerateSecret: true, scope: '', headers: [] }],
      ['owner', { status: 'disabled' }],
    ], 'one record per update, none for the refused ones');
    assert.ok(!JSON.stringify(mine).includes('new-value') && !JSON.stringify(mine).includes(rotated.body.secret), 'no header value or secret is recorded');
  });
});

// The outbox across a restart: a delivery pending retry when Wharf stops goes out after it starts
// again on the same data (and database), exactly once, signed, with the attempts of both runs logged.
for (const backend of METADATA_BACKENDS) {
  describe(`webhooks across a restart [${backend}]`, () => {
    it('sends a delivery that was pending retry at shutdown once the receiver is up, exactly once, with a valid signature', async (t) => {
      const data = await tmpDir('wharf-webhook-restart-');
      const database = backend === 'postgres' ? await createTestDatabase() : undefined;
      const options = { dataDir: data.path, ...(database ? { metadata: database.url } : {}) };
      const receiver = new Receiver();
      let wharf = await startWharf(options);
      t.after(async () => {
        await wharf.stop();
        await receiver.stop();
        await database?.drop();
        await data.remove();
      });
      const port = await closedPort();
      const path = '/restart';
      const created = await api(wharf, 'POST', '/api/webhooks', { name: 'restart1', uri: `http://127.0.0.1:${port}${path}`, actions: ['push'] });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const repo = uniqueRepo('restart/app');
      await pushImage(wharf, repo, { reference: 'v1' });
      const pending = await until('a refused first attempt', async () => {
        const d = (await api(wharf, 'GET', '/api/webhooks/restart1/deliveries')).body[0];
        return d?.attempts.length > 0 ? d : undefined;
      });
      assert.deepEqual([pending.status, pending.attempts[0].error], ['pending', 'ECONNREFUSED']);

      await wharf.stop();
      const stoppedAt = Date.now();
      wharf = await startWharf({ ...options, port: wharf.port });
      await receiver.start(port);
      const got = await until('the delivery after the restart', async () => receiver.at(path)[0]);
      const event = JSON.parse(got.body);
      assert.deepEqual([event.type, event.data.repository], ['io.wharf.image.pushed', repo]);
      assert.equal(got.headers['x-wharf-signature-256'], sign(created.body.secret, got.body));
      assert.equal(got.body, pending.payload, 'the queued bytes, unchanged');

      const log = await until('the delivery marked delivered', async () => {
        const body = (await api(wharf, 'GET', '/api/webhooks/restart1/deliveries')).body;
        return body[0]?.status === 'delivered' ? body : undefined;
      });
      assert.equal(log.length, 1);
      const attempts = log[0].attempts as { time: string; statusCode?: number; error?: string }[];
      assert.ok(attempts.length >= 2, JSON.stringify(attempts));
      assert.deepEqual(attempts.map((a) => a.statusCode ?? a.error), [...attempts.slice(0, -1).map(() => 'ECONNREFUSED'), 200]);
      assert.ok(Date.parse(attempts[0]!.time) < stoppedAt, 'the first attempt was made before the restart');
      assert.ok(Date.parse(attempts.at(-1)!.time) > stoppedAt, 'the delivery after it');
      await sleep(1500);
      assert.equal(receiver.at(path).length, 1, 'delivered exactly once');
    });
  });
}
