import type { Command } from 'commander';
import { parseBool, parsePositiveInt } from '../arguments.ts';
import { CliError } from '../cli-error.ts';
import { clientCommand, commandGroup } from '../client-command.ts';

const path = (collection: string, id: string) => `/${collection}/${encodeURIComponent(id)}`;

/**
 * `wharf ad user …` and `wharf ad sp …`: the registry's own users and service principals (az ad,
 * spec 2). `ad user create|update` set a user's password with --password, so they take Basic
 * credentials from WHARF_USERNAME/WHARF_PASSWORD only.
 */
export function registerAdCommands(program: Command): void {
  const ad = commandGroup(program, 'ad', "the registry's users and service principals", ['wharf ad user list -o table', 'wharf ad sp list -o table']);
  registerUserCommands(commandGroup(ad, 'user', 'users: people who log in with a password', ['wharf ad user create --user-principal-name alice', 'wharf ad user list -o table']));
  registerServicePrincipalCommands(commandGroup(ad, 'sp', 'service principals: applications and CI, logging in with appId and secret', [
    'wharf ad sp create-for-rbac --name ci --role AcrPush',
    'wharf ad sp list --query "[].appId" -o tsv',
  ]));
}

function registerUserCommands(user: Command): void {
  clientCommand<{ userPrincipalName: string; displayName?: string; password?: string }>(user, {
    name: 'create',
    description: 'create a user; without --password one is generated and shown once',
    registryFlag: 'registry',
    credentialFlags: false,
    examples: ['wharf ad user create --user-principal-name alice --display-name "Alice Liddell"', 'wharf ad user create --user-principal-name bob --password "$BOB_PASSWORD" -o none'],
    configure: (cmd) => cmd
      .requiredOption('--user-principal-name <name>', 'login name')
      .option('--display-name <name>', 'name shown in listings')
      .option('--password <password>', "the user's password (default: generated, printed once)"),
    run: ({ api, opts }) => {
      const body: Record<string, string> = { userPrincipalName: opts.userPrincipalName };
      if (opts.displayName !== undefined) body.displayName = opts.displayName;
      if (opts.password !== undefined) body.password = opts.password;
      return api().call('POST', '/users', body);
    },
  });
  clientCommand(user, {
    name: 'list',
    description: 'list users',
    registryFlag: 'registry',
    examples: ['wharf ad user list -o table', 'wharf ad user list --query "[?accountEnabled].userPrincipalName" -o tsv'],
    run: ({ api }) => api().call('GET', '/users'),
  });
  clientCommand<{ id: string }>(user, {
    name: 'show',
    description: 'show a user',
    registryFlag: 'registry',
    examples: ['wharf ad user show --id alice', 'wharf ad user show --id alice --query objectId -o tsv'],
    configure: (cmd) => cmd.requiredOption('--id <user>', 'userPrincipalName or objectId'),
    run: ({ api, opts }) => api().call('GET', path('users', opts.id)),
  });
  clientCommand<{ id: string; password?: string; accountEnabled?: boolean; displayName?: string }>(user, {
    name: 'update',
    description: "change a user's password, display name or whether it may log in (a new password ends its logins)",
    registryFlag: 'registry',
    credentialFlags: false,
    examples: ['wharf ad user update --id alice --account-enabled false', 'wharf ad user update --id alice --password "$NEW_PASSWORD"'],
    configure: (cmd) => cmd
      .requiredOption('--id <user>', 'userPrincipalName or objectId')
      .option('--password <password>', 'new password')
      .option('--account-enabled <bool>', 'false disables the user (and ends its refresh tokens)', parseBool)
      .option('--display-name <name>', 'new display name'),
    run: ({ api, opts }) => {
      const body: Record<string, string | boolean> = {};
      if (opts.password !== undefined) body.password = opts.password;
      if (opts.accountEnabled !== undefined) body.accountEnabled = opts.accountEnabled;
      if (opts.displayName !== undefined) body.displayName = opts.displayName;
      if (Object.keys(body).length === 0) throw new CliError('usage', 'nothing to update: give --password, --account-enabled or --display-name');
      return api().call('PATCH', path('users', opts.id), body);
    },
  });
  clientCommand<{ id: string }>(user, {
    name: 'delete',
    description: 'delete a user and its role assignments',
    registryFlag: 'registry',
    examples: ['wharf ad user delete --id alice'],
    configure: (cmd) => cmd.requiredOption('--id <user>', 'userPrincipalName or objectId'),
    run: async ({ api, opts }) => {
      await api().call('DELETE', path('users', opts.id));
      return undefined;
    },
  });
}

function registerServicePrincipalCommands(sp: Command): void {
  clientCommand<{ name: string; role?: string; scopes?: string[]; years?: number }>(sp, {
    name: 'create-for-rbac',
    description: 'create a service principal with a secret (shown once) and optionally a role',
    registryFlag: 'registry',
    examples: [
      'wharf ad sp create-for-rbac --name ci-push --role AcrPush --scopes "$(wharf show --query id -o tsv)"',
      'wharf ad sp create-for-rbac --name signer --role AcrImageSigner --scopes "$(wharf show --query id -o tsv)/repositories/team/app" --years 2',
    ],
    // -n is --name here (az ad sp create-for-rbac); the registry is -r.
    configure: (cmd) => cmd
      .requiredOption('-n, --name <name>', 'display name (also a servicePrincipalName)')
      .option('--role <role>', 'role to assign (Owner, Contributor, Reader, AcrPush, AcrPull, AcrDelete, AcrImageSigner)')
      .option('--scopes <id...>', 'scopes of the role: registry id or <registry id>/repositories/<repo>; default with --role: the registry')
      .option('--years <n>', 'secret lifetime in years (default 1)', parsePositiveInt),
    run: ({ api, opts }) => {
      const body: Record<string, unknown> = { name: opts.name };
      if (opts.scopes !== undefined && opts.role === undefined) throw new CliError('usage', '--scopes needs --role');
      if (opts.role !== undefined) body.role = opts.role;
      if (opts.scopes !== undefined) body.scopes = opts.scopes;
      if (opts.years !== undefined) body.years = opts.years;
      return api().call('POST', '/servicePrincipals', body);
    },
  });
  clientCommand(sp, {
    name: 'list',
    description: 'list service principals',
    registryFlag: 'registry',
    examples: ['wharf ad sp list -o table', 'wharf ad sp list --query "[].appId" -o tsv'],
    run: ({ api }) => api().call('GET', '/servicePrincipals'),
  });
  clientCommand<{ id: string }>(sp, {
    name: 'show',
    description: 'show a service principal (its secrets by keyId and hint only)',
    registryFlag: 'registry',
    examples: ['wharf ad sp show --id "$APP_ID"'],
    configure: (cmd) => cmd.requiredOption('--id <sp>', 'appId or objectId'),
    run: ({ api, opts }) => api().call('GET', path('servicePrincipals', opts.id)),
  });
  clientCommand<{ id: string }>(sp, {
    name: 'delete',
    description: 'delete a service principal and its role assignments',
    registryFlag: 'registry',
    examples: ['wharf ad sp delete --id "$APP_ID"'],
    configure: (cmd) => cmd.requiredOption('--id <sp>', 'appId or objectId'),
    run: async ({ api, opts }) => {
      await api().call('DELETE', path('servicePrincipals', opts.id));
      return undefined;
    },
  });
  const credential = commandGroup(sp, 'credential', "a service principal's secrets", ['wharf ad sp credential reset --id "$APP_ID"']);
  clientCommand<{ id: string; years?: number }>(credential, {
    name: 'reset',
    description: 'replace the secrets of a service principal with a new one (shown once); its logins end',
    registryFlag: 'registry',
    examples: ['wharf ad sp credential reset --id "$APP_ID" --query password -o tsv'],
    configure: (cmd) => cmd
      .requiredOption('--id <sp>', 'appId or objectId')
      .option('--years <n>', 'secret lifetime in years (default 1)', parsePositiveInt),
    run: ({ api, opts }) => api().call('POST', `${path('servicePrincipals', opts.id)}/credentials/reset`, opts.years === undefined ? {} : { years: opts.years }),
  });
}
