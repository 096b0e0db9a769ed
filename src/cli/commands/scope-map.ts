import type { Command } from 'commander';
import { armActions, repositoryActions } from '../arguments.ts';
import { CliError } from '../cli-error.ts';
import { clientCommand, commandGroup } from '../client-command.ts';

const ACTIONS_HELP = 'repository and its actions (content/read, content/write, content/delete, metadata/read, metadata/write, content/sign); repeatable';

interface ScopeMapRow {
  name?: string;
  type?: string;
  creationDate?: string;
  description?: string;
}

/** az acr scope-map's table: NAME, TYPE, CREATION DATE, DESCRIPTION (spec 4). */
function scopeMapTable(result: unknown): unknown {
  const rows = (Array.isArray(result) ? result : [result]) as ScopeMapRow[];
  return rows.map((m) => ({ NAME: m.name, TYPE: m.type, 'CREATION DATE': m.creationDate, DESCRIPTION: m.description ?? '' }));
}

const mapPath = (name: string) => `/scopeMaps/${encodeURIComponent(name)}`;

/** `wharf scope-map create|update|list|show|delete` (az acr scope-map, spec 4). */
export function registerScopeMapCommands(program: Command): void {
  const scopeMap = commandGroup(program, 'scope-map', 'scope maps: the repository actions a token may use', [
    'wharf scope-map create -n ci-push --repository team/app content/read content/write',
    'wharf scope-map list -o table',
  ]);

  clientCommand<{ name: string; repository?: string[]; description?: string }>(scopeMap, {
    name: 'create',
    description: 'create a scope map',
    registryFlag: 'registry',
    tableTransformer: scopeMapTable,
    examples: [
      'wharf scope-map create -n ci-push --repository team/app content/read content/write',
      'wharf scope-map create -n readers --repository "team/*" content/read metadata/read --repository base content/read --description "read team images"',
    ],
    configure: (cmd) => cmd
      .requiredOption('-n, --name <map>', 'scope map name')
      .requiredOption('--repository <repo-and-actions...>', ACTIONS_HELP)
      .option('--description <text>', 'up to 256 characters'),
    run: ({ api, opts }) => {
      const body: Record<string, unknown> = { name: opts.name, actions: armActions(repositoryActions(opts.repository, '--repository')) };
      if (opts.description !== undefined) body.description = opts.description;
      return api().call('POST', '/scopeMaps', body);
    },
  });

  clientCommand<{ name: string; addRepository?: string[]; removeRepository?: string[]; description?: string }>(scopeMap, {
    name: 'update',
    description: 'add or remove repository actions of a scope map, or change its description',
    registryFlag: 'registry',
    tableTransformer: scopeMapTable,
    examples: [
      'wharf scope-map update -n ci-push --add-repository team/app content/delete',
      'wharf scope-map update -n ci-push --remove-repository team/app content/write --description "read only now"',
    ],
    configure: (cmd) => cmd
      .requiredOption('-n, --name <map>', 'scope map name')
      .option('--add-repository <repo-and-actions...>', ACTIONS_HELP)
      .option('--remove-repository <repo-and-actions...>', ACTIONS_HELP)
      .option('--description <text>', 'new description'),
    run: ({ api, opts }) => {
      const body: Record<string, unknown> = {};
      if (opts.addRepository !== undefined) body.addActions = armActions(repositoryActions(opts.addRepository, '--add-repository'));
      if (opts.removeRepository !== undefined) body.removeActions = armActions(repositoryActions(opts.removeRepository, '--remove-repository'));
      if (opts.description !== undefined) body.description = opts.description;
      if (Object.keys(body).length === 0) throw new CliError('usage', 'nothing to update: give --add-repository, --remove-repository or --description');
      return api().call('PATCH', mapPath(opts.name), body);
    },
  });

  clientCommand(scopeMap, {
    name: 'list',
    description: 'list scope maps, the system ones (_repositories_*) included',
    registryFlag: 'registry',
    tableTransformer: scopeMapTable,
    examples: ['wharf scope-map list -o table', 'wharf scope-map list --query "[?type==\'UserDefined\'].name" -o tsv'],
    run: ({ api }) => api().call('GET', '/scopeMaps'),
  });

  clientCommand<{ name: string }>(scopeMap, {
    name: 'show',
    description: 'show a scope map',
    registryFlag: 'registry',
    tableTransformer: scopeMapTable,
    examples: ['wharf scope-map show -n ci-push', 'wharf scope-map show -n _repositories_pull --query actions'],
    configure: (cmd) => cmd.requiredOption('-n, --name <map>', 'scope map name'),
    run: ({ api, opts }) => api().call('GET', mapPath(opts.name)),
  });

  clientCommand<{ name: string }>(scopeMap, {
    name: 'delete',
    description: 'delete a scope map no token uses',
    registryFlag: 'registry',
    examples: ['wharf scope-map delete -n ci-push'],
    configure: (cmd) => cmd
      .requiredOption('-n, --name <map>', 'scope map name')
      .option('-y, --yes', 'accepted for az compatibility; nothing is asked'),
    run: async ({ api, opts }) => {
      await api().call('DELETE', mapPath(opts.name));
      return undefined;
    },
  });
}
