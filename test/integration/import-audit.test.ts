import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { waitForAudit, type AuditRecordJson } from '../helpers/audit.ts';
import { METADATA_BACKENDS } from '../helpers/backends.ts';
import { caBundle, pushMultiPlatform, type MultiPlatformImage } from '../helpers/import-flows.ts';
import { pushImage, uniqueRepo } from '../helpers/oci.ts';
import { createTestDatabase } from '../helpers/postgres.ts';
import { loginAsOwner, wharfCli, type WharfCli } from '../helpers/wharf-cli.ts';
import { startWharf, TEST_OWNER_PASSWORD, type WharfInstance } from '../helpers/wharf.ts';

interface CloudEvent {
  type: string;
  data: { action: string; actor: string; repository: string; subject: string; detail: Record<string, unknown> };
}

// What `wharf import` writes is in the audit log as a push would be (image.pushed, tag.moved) by
// the importing principal, with the source in detail.importedFrom; push webhooks fire for it; the
// chain still verifies. The real CLI against a target Wharf, importing from a second Wharf.
for (const backend of METADATA_BACKENDS) {
  describe(`wharf import in the audit log and webhooks [${backend}]`, { timeout: 300_000 }, () => {
    let source: WharfInstance;
    let target: WharfInstance;
    let database: { url: string; drop(): Promise<void> } | undefined;
    let bundle: { file: string; remove(): Promise<void> };
    let cli: WharfCli;
    let receiver: Server;
    const delivered: CloudEvent[] = [];
    const repo = uniqueRepo('import-audit-src');
    let image: MultiPlatformImage;
    const sourceArgs = () => ['--source', `${source.host}/${repo}:v1`, '-u', 'owner', '-p', TEST_OWNER_PASSWORD];
    const importedFrom = () => `${source.host}/${repo}:v1`;

    before(async () => {
      receiver = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          delivered.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as CloudEvent);
          res.writeHead(204).end();
        });
      });
      await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
      source = await startWharf({ env: { WHARF_AUTH__ENABLED: 'true' } });
      bundle = await caBundle([source.caPem!]);
      if (backend === 'postgres') database = await createTestDatabase();
      target = await startWharf({ ...(database && { metadata: database.url }), env: { WHARF_AUTH__ENABLED: 'true', WHARF_IMPORT__CA_FILE: bundle.file } });
      cli = await wharfCli();
      await loginAsOwner(cli, target);
      const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
      await cli.json(['webhook', 'create', '-n', 'imports1', '--uri', hook, '--actions', 'push', '--scope', 'it/import-audit-dst/*']);
      image = await pushMultiPlatform(source, repo, 'v1');
    });
    after(async () => {
      await cli?.remove();
      await Promise.all([target?.stop(), source?.stop()]);
      await database?.drop();
      await bundle?.remove();
      await new Promise((resolve) => receiver?.close(resolve));
    });

    const importOk = async (...args: string[]) => {
      const res = await cli.run(['import', ...sourceArgs(), ...args]);
      assert.equal(res.code, 0, res.stderr);
    };
    /** `wharf audit list --repository` once the record `last` is there (records are appended in order, after the writes). */
    const recordsOf = async (into: string, last: (r: AuditRecordJson) => boolean) => {
      await waitForAudit(target, { repository: into }, last);
      return (await cli.json(['audit', 'list', '--repository', into])) as AuditRecordJson[];
    };
    const summary = (records: AuditRecordJson[]) =>
      records.map((r) => [r.action, r.actor, r.subject, r.detail.tag, r.detail.previousDigest, r.detail.importedFrom]);

    it('records every manifest stored and the tag as image.pushed by the importer with importedFrom; push webhooks fire; audit verify passes', async () => {
      const into = uniqueRepo('import-audit-dst');
      await importOk('--image', `${into}:v1`);
      const records = await recordsOf(into, (r) => r.detail.tag === 'v1');
      const [child0, child1] = image.children;
      // Newest first: the children by digest, then the index once, by its tag (as docker push records an index).
      assert.deepEqual(summary(records), [
        ['image.pushed', 'owner', image.index.digest, 'v1', undefined, importedFrom()],
        ['image.pushed', 'owner', child1!.digest, undefined, undefined, importedFrom()],
        ['image.pushed', 'owner', child0!.digest, undefined, undefined, importedFrom()],
      ]);
      assert.equal(records[0]!.detail.size, image.index.bytes.length);
      assert.equal(records[0]!.detail.mediaType, image.index.mediaType);
      assert.match(records[0]!.detail.operation, /^[0-9a-f-]{36}$/);
      assert.ok(records.every((r) => r.detail.operation === records[0]!.detail.operation), 'one operation');

      const verdict = (await cli.json(['audit', 'verify'])) as { isValid: boolean; records: number };
      assert.equal(verdict.isValid, true);

      const events = await deliveriesFor(into, 3);
      assert.deepEqual(events.map((e) => e.type), ['io.wharf.image.pushed', 'io.wharf.image.pushed', 'io.wharf.image.pushed']);
      assert.deepEqual(events.map((e) => e.data.subject).sort(), [image.index.digest, child0!.digest, child1!.digest].sort());
      assert.ok(events.every((e) => e.data.actor === 'owner' && e.data.detail.importedFrom === importedFrom()));
    });

    it('a forced import over an existing tag records tag.moved with the previous digest; an untagged target records the index by digest', async () => {
      const moved = uniqueRepo('import-audit-dst');
      const untagged = uniqueRepo('import-audit-dst');
      const before = await pushImage(target, moved, { reference: 'v1' });
      await importOk('--image', `${moved}:v1`, '--repository', untagged, '--force');
      const [child0, child1] = image.children;
      const children = [
        ['image.pushed', 'owner', child1!.digest, undefined, undefined, importedFrom()],
        ['image.pushed', 'owner', child0!.digest, undefined, undefined, importedFrom()],
      ];
      assert.deepEqual(summary(await recordsOf(moved, (r) => r.action === 'tag.moved')), [
        ['tag.moved', 'owner', image.index.digest, 'v1', before.manifest.digest, importedFrom()],
        ...children,
        ['image.pushed', 'owner', before.manifest.digest, 'v1', undefined, undefined],
      ]);
      assert.deepEqual(summary(await recordsOf(untagged, (r) => r.subject === image.index.digest)), [
        ['image.pushed', 'owner', image.index.digest, undefined, undefined, importedFrom()],
        ...children,
      ]);
      assert.equal(((await cli.json(['audit', 'verify'])) as { isValid: boolean }).isValid, true);
      const events = await deliveriesFor(moved, 4);
      assert.deepEqual(events.map((e) => e.type).sort(), ['io.wharf.image.pushed', 'io.wharf.image.pushed', 'io.wharf.image.pushed', 'io.wharf.tag.moved']);
    });

    /** The webhook deliveries about `repo` once there are `count` of them (20 s deadline). */
    async function deliveriesFor(repo: string, count: number): Promise<CloudEvent[]> {
      const deadline = Date.now() + 20_000;
      for (;;) {
        const events = delivered.filter((e) => e.data.repository === repo);
        if (events.length >= count) return events;
        assert.ok(Date.now() < deadline, `${events.length} of ${count} webhook deliveries for ${repo}: ${JSON.stringify(events.map((e) => e.type))}`);
        await sleep(100);
      }
    }
  });
}
