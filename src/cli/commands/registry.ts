import { Option, type Command } from 'commander';
import { parseBool } from '../arguments.ts';
import { CliError } from '../cli-error.ts';
import { clientCommand, commandGroup } from '../client-command.ts';

/** `wharf show`, `wharf update`, `wharf credential show|renew` (az acr show/update/credential). */
export function registerRegistryCommands(program: Command): void {
  clientCommand(program, {
    name: 'show',
    description: 'show the registry (its id, login server, policies and settings)',
    registryFlag: 'name',
    examples: ['wharf show', 'wharf show -n wharf --query loginServer -o tsv', 'wharf show --query id -o tsv'],
    run: ({ api }) => api().call('GET', '/registry'),
  });

  clientCommand<{ adminEnabled?: boolean; anonymousPullEnabled?: boolean }>(program, {
    name: 'update',
    description: "change the registry's settings",
    registryFlag: 'name',
    examples: ['wharf update --admin-enabled true', 'wharf update -n wharf --anonymous-pull-enabled false -o table'],
    configure: (cmd) => cmd
      .option('--admin-enabled <bool>', 'enable the admin account (user name = registry name)', parseBool)
      .option('--anonymous-pull-enabled <bool>', 'let anyone pull without credentials', parseBool),
    run: ({ api, opts }) => {
      const patch: Record<string, boolean> = {};
      if (opts.adminEnabled !== undefined) patch.adminUserEnabled = opts.adminEnabled;
      if (opts.anonymousPullEnabled !== undefined) patch.anonymousPullEnabled = opts.anonymousPullEnabled;
      if (Object.keys(patch).length === 0) throw new CliError('usage', 'nothing to update: give --admin-enabled and/or --anonymous-pull-enabled');
      return api().call('PATCH', '/registry', patch);
    },
  });

  const credential = commandGroup(program, 'credential', "the admin account's passwords", ['wharf credential show', 'wharf credential renew --password-name password']);
  clientCommand(credential, {
    name: 'show',
    description: "show the admin account's user name and passwords (needs --admin-enabled true)",
    registryFlag: 'name',
    examples: ['wharf credential show', 'wharf credential show --query "passwords[0].value" -o tsv'],
    run: ({ api }) => api().call('GET', '/registry/credentials'),
  });
  clientCommand<{ passwordName: string }>(credential, {
    name: 'renew',
    description: 'replace one of the admin account\'s passwords with a new generated one',
    registryFlag: 'name',
    examples: ['wharf credential renew --password-name password2'],
    configure: (cmd) => cmd.addOption(new Option('--password-name <name>', 'which password').choices(['password', 'password2']).makeOptionMandatory()),
    run: ({ api, opts }) => api().call('POST', '/registry/credentials/renew', { name: opts.passwordName }),
  });
}
