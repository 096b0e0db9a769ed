import { createInterface } from 'node:readline/promises';
import { Option, type Command } from 'commander';
import type { ApiClient } from '../api-client.ts';
import { CliError } from '../cli-error.ts';
import { clientCommand, commandGroup } from '../client-command.ts';

const CONFIRM = { 'x-wharf-confirm': 'delete-trust-data' };
const NOT_CONFIRMED = '(ContentTrustDisableNotConfirmed)';

interface PolicyAnswer {
  status: string;
  type: string;
  repository?: string;
  repositories?: unknown[];
  trustDataDeleted?: number;
}

/**
 * `wharf config content-trust show|update|reset` (az acr config content-trust, spec 5) and
 * `wharf repository trust reset`: the content trust policy, per-repository overrides, and the
 * per-repository reset. Changes that delete trust data ask for the registry name, or take --yes.
 */
export function registerContentTrustCommands(program: Command): void {
  const config = groupOf(program, 'config', 'registry policies', ['wharf config content-trust show']);
  const contentTrust = commandGroup(config, 'content-trust', 'the content trust (Docker Content Trust / Notary v1) policy', [
    'wharf config content-trust show',
    'wharf config content-trust update --status enforced',
    'wharf config content-trust update --status disabled --yes',
  ]);
  clientCommand<{ repository?: string }>(contentTrust, {
    name: 'show',
    description: 'show the policy: {status, type} (and the per-repository overrides, when any); with --repository, what applies there',
    registryFlag: 'name',
    examples: ['wharf config content-trust show', 'wharf config content-trust show --repository team/app -o tsv --query status'],
    configure: (cmd) => cmd.option('--repository <repo>', 'a repository or pattern (team/app, team/*)'),
    run: ({ api, opts }) => api().call('GET', `/registry/contentTrust${opts.repository === undefined ? '' : `?repository=${encodeURIComponent(opts.repository)}`}`),
  });
  clientCommand<{ status: string; repository?: string; yes?: boolean }>(contentTrust, {
    name: 'update',
    description: 'set the policy (disabled, enabled, enforced) for the registry, or for repositories matching --repository (inherit removes that override); '
      + 'disabling deletes trust data irreversibly and asks for confirmation',
    registryFlag: 'name',
    examples: [
      'wharf config content-trust update --status enabled',
      'wharf config content-trust update --status enforced --repository prod/*',
      'wharf config content-trust update --status inherit --repository prod/*',
      'wharf config content-trust update --status disabled --yes',
    ],
    configure: (cmd) => cmd
      .addOption(new Option('--status <status>', 'the state').choices(['disabled', 'enabled', 'enforced', 'inherit']).makeOptionMandatory())
      .option('--repository <pattern>', 'only repositories matching this name or prefix pattern (team/app, team/*)')
      .option('-y, --yes', 'do not prompt: confirm that trust data is deleted'),
    run: async ({ api, opts }) => {
      const body = { status: opts.status, ...(opts.repository !== undefined && { repository: opts.repository }) };
      const answer = (await confirmed(api(), opts.yes === true, (headers) => api().call('PATCH', '/registry/contentTrust', body, headers))) as PolicyAnswer;
      reportDeleted(answer.trustDataDeleted ?? 0);
      const { trustDataDeleted: _deleted, repositories: _overrides, ...shown } = answer;
      return shown;
    },
  });
  const reset = {
    name: 'reset',
    description: "delete one repository's trust data and server-held keys (e.g. after losing its root key); other repositories and all images are kept",
    registryFlag: 'name' as const,
    configure: (cmd: Command) => cmd
      .requiredOption('--repository <repo>', 'the repository')
      .option('-y, --yes', 'do not prompt: confirm that its trust data is deleted'),
    run: async ({ api, opts }: { api: () => ApiClient; opts: { repository: string; yes?: boolean } }) =>
      confirmed(api(), opts.yes === true, (headers) => api().call('POST', '/registry/contentTrust/reset', { repository: opts.repository }, headers)),
  };
  clientCommand(contentTrust, { ...reset, examples: ['wharf config content-trust reset --repository team/app --yes'] });
  const repository = groupOf(program, 'repository', 'repositories', ['wharf repository trust reset --repository team/app --yes']);
  const trust = commandGroup(repository, 'trust', "a repository's content trust data", ['wharf repository trust reset --repository team/app --yes']);
  clientCommand(trust, { ...reset, examples: ['wharf repository trust reset --repository team/app --yes'] });
}

/** A group another module may already have made (`wharf repository ...`). */
function groupOf(program: Command, name: string, description: string, examples: readonly string[]): Command {
  return program.commands.find((c) => c.name() === name) ?? commandGroup(program, name, description, examples);
}

/**
 * Sends the request; when the server wants confirmation, asks for the registry's name on a
 * terminal (as az asks before destructive changes) and sends it again confirmed.
 */
async function confirmed(api: ApiClient, yes: boolean, send: (headers: Record<string, string>) => Promise<unknown>): Promise<unknown> {
  if (yes) return send(CONFIRM);
  try {
    return await send({});
  } catch (err) {
    if (!(err instanceof CliError) || !err.message.includes(NOT_CONFIRMED)) throw err;
    if (!process.stdin.isTTY) throw new CliError('usage', 'this deletes trust data irreversibly: confirm with --yes');
    const { name } = (await api.call('GET', '/registry')) as { name: string };
    const prompt = createInterface({ input: process.stdin, output: process.stderr });
    const typed = await prompt.question(`This deletes trust data irreversibly (images are kept). Type the registry name (${name}) to continue: `);
    prompt.close();
    if (typed.trim() !== name) throw new CliError('usage', 'not confirmed: nothing was changed');
    return send(CONFIRM);
  }
}

function reportDeleted(count: number): void {
  if (count > 0) process.stderr.write(`wharf: deleted the trust data of ${count} ${count === 1 ? 'repository' : 'repositories'} (images are kept)\n`);
}
