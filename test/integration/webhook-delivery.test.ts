import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, it } from 'node:test';
import { forEachBackend } from '../helpers/backends.ts';
import { pushImage, uniqueRepo } from '../helpers/oci.ts';
import type { WharfInstance } from '../helpers/wharf.ts';

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

  async start(): Promise<void> {
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
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server!.address() as AddressInfo).port}`;
  }

  at(path: string): Received[] {
    return this.received.filter((r) => r.path === path);
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.#server?.close(resolve));
  }
}

async function api(wharf: WharfInstance, method: string, path: string, body?: unknown) {
  const res = await wharf.fetch(path, { method, ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }) });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
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
});
