import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { expectTrustError, getRole, initRepo, TRUST_ENABLED_ENV } from '../helpers/trust-api.ts';
import { loginAsOwner, wharfCli, type WharfCli } from '../helpers/wharf-cli.ts';
import { startWharf, type WharfInstance } from '../helpers/wharf.ts';

// wharf config content-trust show|update|reset and wharf repository trust reset: the real CLI
// against a real Wharf's /api, logged in as the owner; trust data published over HTTP.
describe('wharf config content-trust (real CLI against a real Wharf)', { timeout: 300_000 }, () => {
  let wharf: WharfInstance;
  let cli: WharfCli;

  const text = async (...args: string[]) => {
    const res = await cli.run(args);
    assert.equal(res.code, 0, `wharf ${args.join(' ')}: ${res.stderr}`);
    return res;
  };
  const fails = async (code: number, ...args: string[]) => cli.fails(code, args);

  before(async () => {
    wharf = await startWharf({ env: TRUST_ENABLED_ENV });
    cli = await wharfCli();
    await loginAsOwner(cli, wharf);
  });
  after(async () => {
    await cli?.remove();
    await wharf?.stop();
  });

  it('show prints {status, type} as az does; update sets the registry state or a repository override', async () => {
    assert.equal((await text('config', 'content-trust', 'show')).stdout, '{\n  "status": "enabled",\n  "type": "Notary"\n}\n');
    assert.equal((await text('config', 'content-trust', 'update', '--status', 'enforced')).stdout, '{\n  "status": "enforced",\n  "type": "Notary"\n}\n');
    const override = JSON.parse((await text('config', 'content-trust', 'update', '-n', 'wharf', '--status', 'enabled', '--repository', 'dev/*')).stdout) as unknown;
    assert.deepEqual(override, { repository: 'dev/*', status: 'enabled', type: 'Notary' });
    assert.equal((await text('config', 'content-trust', 'show', '--repository', 'dev/app', '--query', 'status', '-o', 'tsv')).stdout, 'enabled\n');
    assert.equal((await text('config', 'content-trust', 'show', '--repository', 'prod/app', '--query', 'status', '-o', 'tsv')).stdout, 'enforced\n');
    await text('config', 'content-trust', 'update', '--status', 'inherit', '--repository', 'dev/*');
    assert.match(await fails(2, 'config', 'content-trust', 'update', '--status', 'sometimes'), /sometimes/);
    assert.match(await fails(1, 'config', 'content-trust', 'update', '--status', 'inherit'), /InvalidRequest/);
  });

  it('repository trust reset (and its config content-trust reset alias) needs --yes without a terminal, then resets one repository', async () => {
    const trust = await initRepo(wharf, `${wharf.host}/cli/reset-me`);
    const kept = await initRepo(wharf, `${wharf.host}/cli/keep-me`);
    assert.match(await fails(2, 'repository', 'trust', 'reset', '--repository', 'cli/reset-me'), /--yes/);
    assert.equal((await getRole(wharf, trust.gun, 'root')).status, 200);
    const reset = await text('repository', 'trust', 'reset', '--repository', 'cli/reset-me', '--yes');
    assert.deepEqual(JSON.parse(reset.stdout), { repository: 'cli/reset-me', trustDataDeleted: true });
    await expectTrustError(await getRole(wharf, trust.gun, 'root') as never, 404, 'METADATA_NOT_FOUND');
    assert.equal((await getRole(wharf, kept.gun, 'root')).status, 200);
    const again = await text('config', 'content-trust', 'reset', '--repository', 'cli/reset-me', '-y');
    assert.deepEqual(JSON.parse(again.stdout), { repository: 'cli/reset-me', trustDataDeleted: false });
  });

  it('update --status disabled needs --yes without a terminal, then reports how many repositories lost trust data', async () => {
    assert.match(await fails(2, 'config', 'content-trust', 'update', '--status', 'disabled'), /--yes/);
    assert.equal((await text('config', 'content-trust', 'show', '--query', 'status', '-o', 'tsv')).stdout, 'enforced\n');
    const disabled = await text('config', 'content-trust', 'update', '--status', 'disabled', '--yes');
    assert.equal(disabled.stdout, '{\n  "status": "disabled",\n  "type": "Notary"\n}\n');
    assert.equal(disabled.stderr, 'wharf: deleted the trust data of 1 repository (images are kept)\n');
    assert.equal((await text('show', '--query', 'policies.trustPolicy.status', '-o', 'tsv')).stdout, 'disabled\n');
  });
});
