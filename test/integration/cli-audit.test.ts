import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, it } from 'node:test';
import { rawSql, waitForAudit } from '../helpers/audit.ts';
import { forEachBackend } from '../helpers/backends.ts';
import { pushImage, uniqueRepo } from '../helpers/oci.ts';
import { loginAsOwner, wharfCli, type WharfCli } from '../helpers/wharf-cli.ts';

// wharf audit list|verify and wharf webhook create|update|list|show|ping|list-events|delete: the real CLI
// against a real Wharf's /api, logged in as the owner, with a real HTTP receiver for the webhook.
forEachBackend('wharf audit and wharf webhook (real CLI)', (backend) => {
  let cli: WharfCli;
  let receiver: Server;
  let receiverUrl = '';
  const bodies: string[] = [];

  const ok = async (...args: string[]) => {
    const res = await cli.run(args);
    assert.equal(res.code, 0, `wharf ${args.join(' ')}: ${res.stderr}`);
    return res.stdout;
  };
  const json = async (...args: string[]) => JSON.parse(await ok(...args)) as any;
  const fails = async (code: number, ...args: string[]) => {
    const res = await cli.run(args);
    assert.equal(res.code, code, `wharf ${args.join(' ')} exited ${res.code}: ${res.stderr}${res.stdout}`);
    return res;
  };

  before(async () => {
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        bodies.push(Buffer.concat(chunks).toString('utf8'));
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    cli = await wharfCli();
    await loginAsOwner(cli, backend.registry);
  });
  after(async () => {
    await cli?.remove();
    await new Promise((resolve) => receiver?.close(resolve));
  });

  it('webhook create prints the secret once; list, show, update, ping, list-events and delete work as az acr webhook', async () => {
    const created = await json('webhook', 'create', '-n', 'cliwebhook1', '--uri', receiverUrl, '--actions', 'push', 'delete', '--scope', 'it/*', '--headers', 'X-One=1', 'X-Two=a=b');
    assert.match(created.secret, /.{20,}/);
    assert.deepEqual([created.name, created.actions, created.scope, created.customHeaders, created.status], ['cliwebhook1', ['push', 'delete'], 'it/*', ['X-One', 'X-Two'], 'enabled']);
    const shown = await json('webhook', 'show', '-n', 'CLIWEBHOOK1');
    assert.equal(shown.secret, undefined);
    assert.equal(shown.serviceUri, receiverUrl);
    const table = await ok('webhook', 'list', '-o', 'table');
    assert.match(table, /^NAME\s+STATUS\s+SCOPE\s+ACTIONS\s+URI\n-[- ]+\n/);
    assert.match(table, /cliwebhook1\s+enabled\s+it\/\*\s+push, delete/);
    assert.equal((await json('webhook', 'ping', '-n', 'cliwebhook1')).eventType, 'io.wharf.ping');

    const repo = uniqueRepo('cli/hooked');
    await pushImage(backend.registry, repo, { reference: 'v1' });
    let events: any[] = [];
    for (const deadline = Date.now() + 20_000; Date.now() < deadline; await sleep(200)) {
      events = await json('webhook', 'list-events', '-n', 'cliwebhook1');
      if (events.length === 2 && events.every((e) => e.status === 'delivered')) break;
    }
    assert.deepEqual(events.map((e) => [e.eventType, e.status, e.statusCode]), [['io.wharf.image.pushed', 'delivered', 204], ['io.wharf.ping', 'delivered', 204]]);
    assert.ok(bodies.some((b) => JSON.parse(b).data?.repository === repo));
    assert.match(await ok('webhook', 'list-events', '-n', 'cliwebhook1', '--top', '1', '-o', 'table'), /^ID\s+EVENT\s+STATUS\s+CODE\s+ATTEMPTS\s+CREATED\n-[- ]+\n.*io\.wharf\.image\.pushed\s+delivered\s+204\s+1/);

    // update: only the options given change; "" clears the scope and the headers; a new secret is printed once.
    const updated = await json('webhook', 'update', '-n', 'cliwebhook1', '--status', 'disabled', '--scope', '', '--headers', '', '--actions', 'delete');
    assert.deepEqual([updated.status, updated.scope, updated.customHeaders, updated.actions, updated.serviceUri, updated.secret], ['disabled', '', [], ['delete'], receiverUrl, undefined]);
    const secret = await ok('webhook', 'update', '-n', 'cliwebhook1', '--regenerate-secret', '--uri', `${receiverUrl}2`, '--query', 'secret', '-o', 'tsv');
    assert.match(secret, /^.{20,}\n$/);
    assert.equal(secret.includes(created.secret), false);
    assert.match(await ok('webhook', 'update', '-n', 'cliwebhook1', '--status', 'enabled', '--headers', 'X-Three=3', '-o', 'table'), /cliwebhook1\s+enabled\s+delete\s+\S+2\n/);
    const settled = await json('webhook', 'show', '-n', 'cliwebhook1');
    await fails(2, 'webhook', 'update', '-n', 'cliwebhook1');
    await fails(2, 'webhook', 'update', '-n', 'cliwebhook1', '--status', 'paused');
    await fails(2, 'webhook', 'update', '-n', 'cliwebhook1', '--headers', 'novalue');
    assert.match((await fails(3, 'webhook', 'update', '-n', 'nosuchhook1', '--status', 'enabled')).stderr, /NotFound/);
    assert.match((await fails(1, 'webhook', 'update', '-n', 'cliwebhook1', '--uri', 'ftp://x/y', '--status', 'disabled')).stderr, /InvalidRequest/);
    assert.deepEqual(await json('webhook', 'show', '-n', 'cliwebhook1'), settled, 'refused updates change nothing');
    assert.deepEqual([settled.serviceUri, settled.customHeaders, settled.status], [`${receiverUrl}2`, ['X-Three'], 'enabled']);

    assert.equal(await ok('webhook', 'delete', '-n', 'cliwebhook1', '--yes'), '');
    assert.match((await fails(3, 'webhook', 'show', '-n', 'cliwebhook1')).stderr, /NotFound/);
    await fails(2, 'webhook', 'create', '-n', 'nouri1', '--actions', 'push');
    await fails(2, 'webhook', 'create', '-n', 'badheaders', '--uri', receiverUrl, '--actions', 'push', '--headers', 'novalue');
    await fails(2, 'webhook', 'create', '-n', 'badaction', '--uri', receiverUrl, '--actions', 'pull');
    assert.match((await fails(1, 'webhook', 'create', '-n', 'x', '--uri', receiverUrl, '--actions', 'push')).stderr, /InvalidRequest/);
  });

  it('audit list filters and prints tables; audit verify exits 0 on an intact chain and 1 after a record is edited', async () => {
    const repo = uniqueRepo('cli/audited');
    const image = await pushImage(backend.registry, repo, { reference: 'v1' });
    await waitForAudit(backend.registry, { repository: repo }, () => true);
    const records = await json('audit', 'list', '--repository', repo, '--action', 'image.');
    assert.deepEqual(records.map((r: any) => [r.action, r.actor, r.subject]), [['image.pushed', 'owner', image.manifest.digest]]);
    assert.equal((await json('audit', 'list', '--actor', 'owner', '--top', '2')).length, 2);
    assert.deepEqual(await json('audit', 'list', '--repository', repo, '--until', '2000-01-01T00:00:00Z'), []);
    assert.match(await ok('audit', 'list', '--repository', repo, '-o', 'table'), /^SEQ\s+TIME\s+ACTION\s+ACTOR\s+REPOSITORY\s+SUBJECT\n-[- ]+\n\d+\s+\S+\s+image\.pushed\s+owner\s+it\/cli\/audited/);
    await fails(2, 'audit', 'list', '--top', '0');
    assert.match((await fails(1, 'audit', 'list', '--since', 'yesterday')).stderr, /RFC 3339/);

    const verdict = await json('audit', 'verify');
    assert.equal(verdict.isValid, true);
    assert.equal(await ok('audit', 'verify', '--query', 'headHash', '-o', 'tsv'), `${verdict.headHash}\n`);
    const sql = await rawSql(backend.registry);
    try {
      await sql.run('update audit_log set subject = $1 where seq = $2', ['sha256:forged', records[0].seq]);
    } finally {
      await sql.close();
    }
    const broken = await fails(1, 'audit', 'verify');
    const body = JSON.parse(broken.stdout);
    assert.equal(body.isValid, false);
    assert.equal(body.firstInvalidSeq, records[0].seq);
  });
});
