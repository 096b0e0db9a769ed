import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { mustRun, requireTools } from '../helpers/run.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { wharfCli, type WharfCli } from '../helpers/wharf-cli.ts';


// wharf completion bash|zsh|fish: scripts generated from the real CLI's command tree, loaded into
// the real shells and asked for completions the way each shell asks.
describe('wharf completion', { timeout: 120_000 }, () => {
  let cli: WharfCli;
  let dir: { path: string; remove(): Promise<void> };
  const scripts: Record<string, string> = {};

  before(async () => {
    requireTools('bash', 'zsh', 'fish'); // scripts/test-prereqs.sh installs zsh and fish
    cli = await wharfCli();
    dir = await tmpDir('wharf-completion-');
    for (const shell of ['bash', 'zsh', 'fish']) {
      const res = await cli.run(['completion', shell]);
      assert.equal(res.code, 0, res.stderr);
      scripts[shell] = join(dir.path, `wharf.${shell}`);
      await writeFile(scripts[shell]!, res.stdout);
    }
  });
  after(async () => {
    await cli?.remove();
    await dir?.remove();
  });

  it('refuses a shell it does not know, as a usage error (exit 2)', async () => {
    const res = await cli.run(['completion', 'tcsh']);
    assert.equal(res.code, 2);
    assert.match(res.stderr, /tcsh/);
  });

  it('bash: bash -n accepts the script; it completes subcommands, options, their choices and file values', async () => {
    await mustRun('bash', ['-n', scripts.bash!]);
    const complete = async (...words: string[]) => {
      const probe = `source ${scripts.bash}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _wharf; printf '%s\\n' "\${COMPREPLY[@]}"`;
      return (await mustRun('bash', ['-c', probe], { cwd: dir.path })).stdout.trim().split('\n').filter(Boolean);
    };
    const top = await complete('wharf', '');
    for (const sub of ['serve', 'check-config', 'gc', 'login', 'show', 'token', 'scope-map', 'check-health', 'completion', 'config']) {
      assert.ok(top.includes(sub), `'${sub}' missing from ${top.join(' ')}`);
    }
    assert.deepEqual(await complete('wharf', 'token', 'cr'), ['create', 'credential']);
    assert.deepEqual(await complete('wharf', 'token', 'credential', ''), ['generate', 'delete', '-h', '--help']);
    assert.deepEqual(await complete('wharf', 'token', 'create', '--status', ''), ['enabled', 'disabled']);
    // An option's value that is also a command name does not move the command path.
    assert.ok((await complete('wharf', 'token', 'create', '-n', 'show', '--')).includes('--scope-map'));
    assert.deepEqual(await complete('wharf', 'config', 'content-trust', 'update', '--status', 'en'), ['enabled', 'enforced']);
    assert.deepEqual(await complete('wharf', 'completion', ''), ['bash', 'zsh', 'fish', '-h', '--help']);
    assert.ok((await complete('wharf', 'check-health', '--')).includes('--ignore-errors'));
    assert.deepEqual(await complete('wharf', 'serve', '--tls-cert', 'wharf.f'), ['wharf.fish']);
  });

  it('zsh: zsh -n accepts the script; its _wharf function completes through compadd', async () => {
    await mustRun('zsh', ['-n', scripts.zsh!]);
    // compadd and _files only work inside a completion widget: the probe records what they are given.
    const probe = `compdef() { :; }; source ${scripts.zsh}; compadd() { shift; print -r -- "$*"; }; _files() { print _files; }
words=(wharf token create --status ''); CURRENT=5; _wharf
words=(wharf ''); CURRENT=2; _wharf
words=(wharf serve --config ''); CURRENT=4; _wharf`;
    const [status, top, file] = (await mustRun('zsh', ['-f', '-c', probe])).stdout.trim().split('\n');
    assert.equal(status, 'enabled disabled');
    assert.match(top!, /^serve check-config gc .*\bcheck-health\b.*\bcompletion\b/);
    assert.equal(file, '_files');
  });

  it('fish: fish -n accepts the script; complete -C lists subcommands with descriptions and option values', async () => {
    await mustRun('fish', ['-n', scripts.fish!]);
    const complete = async (line: string) => (await mustRun('fish', ['-c', `source ${scripts.fish}; complete -C '${line}'`])).stdout;
    assert.match(await complete('wharf tok'), /^token\tscoped tokens/m);
    assert.equal(await complete('wharf token create --status '), 'disabled\tenabled or disabled\nenabled\tenabled or disabled\n');
    assert.match(await complete('wharf check-health --ig'), /^--ignore-errors\t/m);
  });
});
