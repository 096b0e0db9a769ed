import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pushImage, uniqueRepo } from '../helpers/oci.ts';
import { loginAsOwner, wharfCli, type WharfCli } from '../helpers/wharf-cli.ts';
import { startWharf, type WharfInstance } from '../helpers/wharf.ts';

// wharf repository list|show|show-tags|show-manifests|update|untag|delete and wharf manifest
// list-metadata: the real CLI against a real Wharf's /acr/v1, logged in as the owner (refresh
// token → access tokens per scope), and with -u/-p (Basic at the token endpoint).
describe('wharf repository (real CLI against a real Wharf)', { timeout: 300_000 }, () => {
  let wharf: WharfInstance;
  let cli: WharfCli;

  const json = async (...args: string[]) => cli.json(args);
  const fails = async (code: number, ...args: string[]) => cli.fails(code, args);

  before(async () => {
    wharf = await startWharf();
    cli = await wharfCli();
    await loginAsOwner(cli, wharf);
  });
  after(async () => {
    await cli?.remove();
    await wharf?.stop();
  });

  it('list, show and show-tags print az shapes; --detail, --orderby, --top and --query work', async () => {
    const repo = uniqueRepo('cli');
    const v1 = await pushImage(wharf, repo, { reference: 'v1' });
    await pushImage(wharf, repo, { reference: 'v2' });
    assert.ok(((await json('repository', 'list')) as string[]).includes(repo));
    const shown = (await json('repository', 'show', '--repository', repo)) as Record<string, unknown>;
    assert.deepEqual(Object.keys(shown), [
      'changeableAttributes', 'createdTime', 'imageName', 'lastUpdateTime', 'manifestCount', 'registry', 'signedTagCount', 'sizeBytes', 'tagCount',
    ]);
    assert.equal(shown.tagCount, 2);
    assert.equal(shown.registry, wharf.host);
    assert.deepEqual(await json('repository', 'show-tags', '--repository', repo), ['v1', 'v2']);
    const detail = (await json('repository', 'show-tags', '--repository', repo, '--detail', '--orderby', 'time_desc', '--top', '1')) as { name: string; signed: boolean }[];
    assert.deepEqual(detail.map((t) => [t.name, t.signed]), [['v2', false]]);
    const tag = (await json('repository', 'show', '--image', `${repo}:v1`)) as { digest: string };
    assert.equal(tag.digest, v1.manifest.digest);
    const tsv = await cli.run(['repository', 'show', '--repository', repo, '--query', 'manifestCount', '-o', 'tsv']);
    assert.equal(tsv.stdout, '2\n');
  });

  it('show-manifests and manifest list-metadata list digests with their tags', async () => {
    const repo = uniqueRepo('cli');
    const image = await pushImage(wharf, repo, { reference: 'v1' });
    assert.deepEqual(
      ((await json('repository', 'show-manifests', '--repository', repo)) as { digest: string; tags: string[] }[]).map((m) => [m.digest, m.tags]),
      [[image.manifest.digest, ['v1']]],
    );
    const metadata = (await json('manifest', 'list-metadata', '-n', repo)) as { digest: string; imageSize: number; mediaType: string }[];
    assert.equal(metadata[0]?.digest, image.manifest.digest);
    assert.equal(metadata[0]?.mediaType, image.manifest.mediaType);
    assert.ok(metadata[0]!.imageSize > image.manifest.bytes.length);
  });

  it('update locks a tag: a push onto it fails with DENIED naming the lock; delete of a locked repository fails with exit 1', async () => {
    const repo = uniqueRepo('cli');
    await pushImage(wharf, repo, { reference: 'v1' });
    const locked = (await json('repository', 'update', '--image', `${repo}:v1`, '--write-enabled', 'false', '--delete-enabled', 'false')) as {
      changeableAttributes: Record<string, boolean>;
    };
    assert.deepEqual(locked.changeableAttributes, { deleteEnabled: false, listEnabled: true, readEnabled: true, writeEnabled: false });
    await assert.rejects(pushImage(wharf, repo, { reference: 'v1' }));
    assert.match(await fails(1, 'repository', 'untag', '--image', `${repo}:v1`), /\(DENIED\) tag .*:v1 is locked \(deleteEnabled=false\).*--delete-enabled true/);
    assert.match(await fails(1, 'repository', 'delete', '--repository', repo, '--yes'), /DENIED/);
    await json('repository', 'update', '--image', `${repo}:v1`, '--write-enabled', 'true', '--delete-enabled', 'true');
    await pushImage(wharf, repo, { reference: 'v1' });
    assert.match(await fails(2, 'repository', 'update', '--repository', repo), /at least one/);
    assert.match(await fails(2, 'repository', 'update', '--repository', repo, '--image', `${repo}:v1`, '--write-enabled', 'false'), /either --repository or --image/);
  });

  it('untag removes a tag; delete --image removes the manifest and its tags; delete --repository removes it all', async () => {
    const repo = uniqueRepo('cli');
    const one = await pushImage(wharf, repo, { reference: 'v1' });
    await pushImage(wharf, repo, { reference: 'v2' });
    await pushImage(wharf, repo, { reference: 'v3' });
    assert.equal((await cli.run(['repository', 'untag', '--image', `${repo}:v3`])).stdout, '');
    assert.deepEqual(await json('repository', 'show-tags', '--repository', repo), ['v1', 'v2']);
    await cli.run(['repository', 'delete', '--image', `${repo}:v1`, '--yes']);
    assert.deepEqual(await json('repository', 'show-tags', '--repository', repo), ['v2']);
    assert.match(await fails(3, 'repository', 'show', '--image', `${repo}@${one.manifest.digest}`), /MANIFEST_UNKNOWN/);
    assert.equal((await cli.run(['repository', 'delete', '--repository', repo, '--yes'])).code, 0);
    assert.match(await fails(3, 'repository', 'show', '--repository', repo), /NAME_UNKNOWN/);
  });

  it('works with -u/-p (Basic at the token endpoint) and refuses a wrong password with exit 4', async () => {
    const repo = uniqueRepo('cli');
    await pushImage(wharf, repo, { reference: 'v1' });
    const tags = await cli.json(['repository', 'show-tags', '--repository', repo, '-u', 'owner', '-p', wharf.credentials!.password]);
    assert.deepEqual(tags, ['v1']);
    await fails(4, 'repository', 'show-tags', '--repository', repo, '-u', 'owner', '-p', 'wrong');
  });

  it('--help shows examples', async () => {
    for (const command of [['repository', 'show-tags'], ['repository', 'update'], ['manifest', 'list-metadata'], ['repository']]) {
      const res = await cli.run([...command, '--help']);
      assert.equal(res.code, 0);
      assert.match(res.stdout, /Examples:\n {2}wharf /);
    }
    const group = await cli.run(['repository', '--help']);
    assert.match(group.stdout, /trust/);
    assert.match(group.stdout, /show-manifests/);
  });
});
