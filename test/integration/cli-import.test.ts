import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { caBundle, expectImage, pushMultiPlatform, referrerDigests, type MultiPlatformImage, type Operation } from '../helpers/import-flows.ts';
import { uniqueRepo } from '../helpers/oci.ts';
import { loginAsOwner, wharfCli, type WharfCli } from '../helpers/wharf-cli.ts';
import { startWharf, TEST_OWNER_PASSWORD, type WharfInstance } from '../helpers/wharf.ts';

const TARGET_OWNER_PASSWORD = 'cli-import-owner-password';
const TRUST_NOTE = /Docker Content Trust data is not imported/;

// `wharf import` (the real CLI) against a real target Wharf, importing from a second Wharf.
describe('wharf import (real CLI)', { timeout: 300_000 }, () => {
  let source: WharfInstance;
  let target: WharfInstance;
  let cli: WharfCli;
  let bundle: { file: string; remove(): Promise<void> };
  const repo = uniqueRepo('cli-import-src');
  let image: MultiPlatformImage;
  const sourceArgs = () => ['--source', `${source.host}/${repo}:v1`, '-u', 'owner', '-p', TEST_OWNER_PASSWORD];

  before(async () => {
    source = await startWharf({ env: { WHARF_AUTH__ENABLED: 'true' } });
    await source.fetch('/v2/');
    bundle = await caBundle([source.caPem!]);
    target = await startWharf({ env: { WHARF_AUTH__ENABLED: 'true', WHARF_AUTH__OWNER_PASSWORD: TARGET_OWNER_PASSWORD, WHARF_IMPORT__CA_FILE: bundle.file } });
    cli = await wharfCli();
    await loginAsOwner(cli, target);
    image = await pushMultiPlatform(source, repo, 'v1', { referrers: 'api' });
  });
  after(async () => {
    await cli?.remove();
    await Promise.all([target?.stop(), source?.stop()]);
    await bundle?.remove();
  });

  it('waits, shows progress and the trust-data note on stderr, prints nothing on success', async () => {
    const into = uniqueRepo('cli-import-dst');
    const res = await cli.run(['import', ...sourceArgs(), '--image', `${into}:v1`, '--include-referrers']);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout, '');
    assert.match(res.stderr, TRUST_NOTE);
    assert.match(res.stderr, /^import .*:v1: 6 manifest\(s\), \d+ blob\(s\) copied \([\d.]+ MB\), \d+ already present$/m, 'the last progress line');
    await expectImage(target, into, 'v1', image);
    assert.deepEqual(await referrerDigests(target, into, image.index.digest), [image.referrers[0]!.digest]);
  });

  it('--no-wait prints the operation; wharf operation show polls it', async () => {
    const into = uniqueRepo('cli-import-dst');
    const started = (await cli.json(['import', ...sourceArgs(), '-t', `${into}:v1`, '--no-wait'])) as Operation;
    assert.match(started.id, /^[0-9a-f-]{36}$/);
    assert.equal(started.status, 'InProgress');
    assert.deepEqual(started.targets, [`${into}:v1`]);
    const deadline = Date.now() + 60_000;
    let status = 'InProgress';
    while (status === 'InProgress' && Date.now() < deadline) {
      const res = await cli.run(['operation', 'show', '--id', started.id, '--query', 'status', '-o', 'tsv']);
      assert.equal(res.code, 0, res.stderr);
      status = res.stdout.trim();
    }
    assert.equal(status, 'Succeeded');
    await expectImage(target, into, 'v1', image);
  });

  it('an existing tag without --force exits 1 with (Conflict) naming it; --force moves it', async () => {
    const into = uniqueRepo('cli-import-dst');
    assert.equal((await cli.run(['import', ...sourceArgs(), '-t', `${into}:v1`])).code, 0);
    const again = await cli.run(['import', ...sourceArgs(), '-t', `${into}:v1`]);
    assert.equal(again.code, 1, again.stderr);
    assert.match(again.stderr, new RegExp(`^wharf: \\(Conflict\\) tag ${into}:v1 already exists`));
    const forced = await cli.run(['import', ...sourceArgs(), '-t', `${into}:v1`, '--force']);
    assert.equal(forced.code, 0, forced.stderr);
  });

  it('a failed import exits 1 with the operation\'s error; an unqualified --source is a usage error (2)', async () => {
    const failed = await cli.run(['import', '--source', `${source.host}/${repo}:v1`, '-u', 'owner', '-p', 'wrong', '-t', `${uniqueRepo('cli-import-dst')}:v1`]);
    assert.equal(failed.code, 1, failed.stderr);
    assert.match(failed.stderr, /^wharf: import of .* failed: \(SourceUnauthorized\) /m);
    assert.doesNotMatch(failed.stderr, /wrong/);
    const unqualified = await cli.run(['import', '--source', 'alpine:3.20']);
    assert.equal(unqualified.code, 2);
    assert.match(unqualified.stderr, /--source must name its registry/);
  });
});
