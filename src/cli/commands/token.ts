import { Option, type Command } from 'commander';
import { expiryOf, parsePositiveInt, repositoryActions } from '../arguments.ts';
import { CliError } from '../cli-error.ts';
import { clientCommand, commandGroup } from '../client-command.ts';

interface TokenRow {
  name?: string;
  scopeMapId?: string;
  status?: string;
  creationDate?: string;
  credentials?: { passwords?: { name?: string; expiry?: string }[] };
}

/** az acr token's table: NAME, SCOPE MAP, PASSWORD1 EXPIRY, PASSWORD2 EXPIRY, STATUS, CREATION DATE. */
function tokenTable(result: unknown): unknown {
  const rows = (Array.isArray(result) ? result : [result]) as TokenRow[];
  const expiry = (t: TokenRow, name: string) => t.credentials?.passwords?.find((p) => p.name === name)?.expiry ?? '';
  return rows.map((t) => ({
    NAME: t.name,
    'SCOPE MAP': t.scopeMapId?.split('/').at(-1) ?? '',
    'PASSWORD1 EXPIRY': expiry(t, 'password1'),
    'PASSWORD2 EXPIRY': expiry(t, 'password2'),
    STATUS: t.status,
    'CREATION DATE': t.creationDate,
  }));
}

const tokenPath = (name: string) => `/tokens/${encodeURIComponent(name)}`;
const STATUS = ['enabled', 'disabled'];

interface ExpiryOptions {
  expiration?: string;
  expirationInDays?: number;
}

function expiryOptions(cmd: Command): Command {
  return cmd
    .option('--expiration <utc>', 'passwords expire then, UTC YYYY-MM-DDTHH:MM:SSZ (default: never)')
    .option('--expiration-in-days <n>', 'passwords expire after this many days', parsePositiveInt);
}

/** `wharf token create|update|list|show|delete` and `wharf token credential generate|delete` (az acr token, spec 2 and 7). */
export function registerTokenCommands(program: Command): void {
  const token = commandGroup(program, 'token', 'scoped tokens: data-plane logins limited to a scope map', [
    'wharf token create -n ci-pull --repository team/app content/read',
    'wharf token list -o table',
  ]);

  clientCommand<ExpiryOptions & { name: string; scopeMap?: string; repository?: string[]; status?: string; passwords: boolean }>(token, {
    name: 'create',
    description: 'create a token with its passwords (shown once), from a scope map or inline repository actions',
    registryFlag: 'registry',
    tableTransformer: tokenTable,
    examples: [
      'wharf token create -n ci-pull --repository team/app content/read metadata/read',
      'wharf token create -n ci-push --scope-map _repositories_push --expiration-in-days 30 --query "credentials.passwords[0].value" -o tsv',
      'wharf token create -n later --scope-map readers --no-passwords --status disabled',
    ],
    configure: (cmd) => expiryOptions(cmd
      .requiredOption('-n, --name <token>', 'token name (its docker user name): 5-50 letters, digits, - and _')
      .option('--scope-map <map>', 'an existing scope map')
      .option('--repository <repo-and-actions...>', 'repository and its actions; creates <token>-scope-map; repeatable')
      .addOption(new Option('--status <status>', 'enabled or disabled').choices(STATUS))
      .option('--no-passwords', 'create no passwords now (wharf token credential generate later)')),
    run: ({ api, opts }) => {
      if ((opts.scopeMap === undefined) === (opts.repository === undefined)) throw new CliError('usage', 'give either --scope-map or --repository');
      const body: Record<string, unknown> = { name: opts.name };
      if (opts.scopeMap !== undefined) body.scopeMap = opts.scopeMap;
      if (opts.repository !== undefined) body.repositories = Object.fromEntries(repositoryActions(opts.repository, '--repository'));
      if (opts.status !== undefined) body.status = opts.status;
      if (!opts.passwords) body.noPasswords = true;
      const expiry = expiryOf(opts);
      if (expiry !== undefined) body.expiry = expiry;
      return api().call('POST', '/tokens', body);
    },
  });

  clientCommand<{ name: string; scopeMap?: string; status?: string }>(token, {
    name: 'update',
    description: "change a token's scope map or status (takes effect at its next access token)",
    registryFlag: 'registry',
    tableTransformer: tokenTable,
    examples: ['wharf token update -n ci-pull --status disabled', 'wharf token update -n ci-pull --scope-map _repositories_pull_metadata_read'],
    configure: (cmd) => cmd
      .requiredOption('-n, --name <token>', 'token name')
      .option('--scope-map <map>', 'the scope map to use instead')
      .addOption(new Option('--status <status>', 'enabled or disabled').choices(STATUS)),
    run: ({ api, opts }) => {
      const body: Record<string, string> = {};
      if (opts.scopeMap !== undefined) body.scopeMap = opts.scopeMap;
      if (opts.status !== undefined) body.status = opts.status;
      if (Object.keys(body).length === 0) throw new CliError('usage', 'nothing to update: give --scope-map or --status');
      return api().call('PATCH', tokenPath(opts.name), body);
    },
  });

  clientCommand(token, {
    name: 'list',
    description: 'list tokens (password values are never shown again)',
    registryFlag: 'registry',
    tableTransformer: tokenTable,
    examples: ['wharf token list -o table', 'wharf token list --query "[?status==\'enabled\'].name" -o tsv'],
    run: ({ api }) => api().call('GET', '/tokens'),
  });

  clientCommand<{ name: string }>(token, {
    name: 'show',
    description: 'show a token',
    registryFlag: 'registry',
    tableTransformer: tokenTable,
    examples: ['wharf token show -n ci-pull', 'wharf token show -n ci-pull --query scopeMapId -o tsv'],
    configure: (cmd) => cmd.requiredOption('-n, --name <token>', 'token name'),
    run: ({ api, opts }) => api().call('GET', tokenPath(opts.name)),
  });

  clientCommand<{ name: string }>(token, {
    name: 'delete',
    description: 'delete a token (a scope map created for it inline stays)',
    registryFlag: 'registry',
    examples: ['wharf token delete -n ci-pull'],
    configure: (cmd) => cmd
      .requiredOption('-n, --name <token>', 'token name')
      .option('-y, --yes', 'accepted for az compatibility; nothing is asked'),
    run: async ({ api, opts }) => {
      await api().call('DELETE', tokenPath(opts.name));
      return undefined;
    },
  });

  const credential = commandGroup(token, 'credential', "a token's two passwords", ['wharf token credential generate -n ci-pull --password1']);
  clientCommand<ExpiryOptions & { name: string; password1?: boolean; password2?: boolean }>(credential, {
    name: 'generate',
    description: 'generate new values for password1 and/or password2 (both by default); the old ones stop working at once',
    registryFlag: 'registry',
    examples: [
      'wharf token credential generate -n ci-pull --password1 --query "passwords[0].value" -o tsv',
      'wharf token credential generate -n ci-pull --expiration-in-days 30',
    ],
    configure: (cmd) => expiryOptions(cmd
      .requiredOption('-n, --name <token>', 'token name')
      .option('--password1', 'generate password1')
      .option('--password2', 'generate password2')),
    run: ({ api, opts }) => {
      const passwords = selectedPasswords(opts);
      const body: Record<string, unknown> = { passwords: passwords.length === 0 ? ['password1', 'password2'] : passwords };
      const expiry = expiryOf(opts);
      if (expiry !== undefined) body.expiry = expiry;
      return api().call('POST', `${tokenPath(opts.name)}/credentials/generate`, body);
    },
  });
  clientCommand<{ name: string; password1?: boolean; password2?: boolean }>(credential, {
    name: 'delete',
    description: "delete a token's password1 and/or password2",
    registryFlag: 'registry',
    examples: ['wharf token credential delete -n ci-pull --password1', 'wharf token credential delete -n ci-pull --password1 --password2'],
    configure: (cmd) => cmd
      .requiredOption('-n, --name <token>', 'token name')
      .option('--password1', 'delete password1')
      .option('--password2', 'delete password2'),
    run: async ({ api, opts }) => {
      const passwords = selectedPasswords(opts);
      if (passwords.length === 0) throw new CliError('usage', 'say which: --password1 and/or --password2');
      for (const p of passwords) await api().call('DELETE', `${tokenPath(opts.name)}/credentials/${p}`);
      return undefined;
    },
  });
}

function selectedPasswords(opts: { password1?: boolean; password2?: boolean }): string[] {
  return [...(opts.password1 ? ['password1'] : []), ...(opts.password2 ? ['password2'] : [])];
}
