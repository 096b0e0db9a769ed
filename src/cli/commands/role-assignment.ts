import { Option, type Command } from 'commander';
import type { ApiClient } from '../api-client.ts';
import { CliError } from '../cli-error.ts';
import { clientCommand, commandGroup } from '../client-command.ts';

interface Selectors {
  scope?: string;
  assignee?: string;
  role?: string;
  includeInherited?: boolean;
  all?: boolean;
}

const ROLE_HELP = 'role name (Owner, Contributor, Reader, AcrPush, AcrPull, AcrDelete, AcrImageSigner) or definition GUID';
/** az role assignment's table: Principal, Role, Scope. */
function roleAssignmentTable(result: unknown): unknown {
  const rows = (Array.isArray(result) ? result : [result]) as { principalName?: string; roleDefinitionName?: string; scope?: string }[];
  return rows.map((a) => ({ Principal: a.principalName, Role: a.roleDefinitionName, Scope: a.scope }));
}

const SCOPE_HELP = 'registry id, or <registry id>/repositories/<repo> (a trailing /* matches a namespace)';

/** `wharf role assignment create|list|delete` (az role assignment, spec 3 and 7). */
export function registerRoleAssignmentCommands(program: Command): void {
  const assignment = commandGroup(
    commandGroup(program, 'role', 'role-based access control', ['wharf role assignment list --all -o table']),
    'assignment',
    'who holds which role where',
    ['wharf role assignment create --assignee alice --role AcrPush', 'wharf role assignment list --assignee alice -o table'],
  );

  clientCommand<Selectors & { assigneeObjectId?: string; assigneePrincipalType?: string }>(assignment, {
    name: 'create',
    description: 'give a user or service principal a role on the registry or on repositories',
    registryFlag: 'registry',
    tableTransformer: roleAssignmentTable,
    examples: [
      'wharf role assignment create --assignee alice --role AcrPush --scope "$(wharf show --query id -o tsv)"',
      'wharf role assignment create --assignee "$APP_ID" --role AcrImageSigner --scope "$(wharf show --query id -o tsv)/repositories/team/*"',
      'wharf role assignment create --assignee-object-id "$OBJECT_ID" --assignee-principal-type User --role Reader',
    ],
    configure: (cmd) => cmd
      .requiredOption('--role <role>', ROLE_HELP)
      .option('--scope <id>', `${SCOPE_HELP}; default: the registry`)
      .option('--assignee <principal>', 'userPrincipalName, objectId, service principal appId or name')
      .option('--assignee-object-id <guid>', 'objectId of the user or service principal (no lookup)')
      .addOption(new Option('--assignee-principal-type <type>', 'with --assignee-object-id').choices(['User', 'ServicePrincipal'])),
    run: async ({ api, opts }) => {
      if ((opts.assignee === undefined) === (opts.assigneeObjectId === undefined)) {
        throw new CliError('usage', 'give either --assignee or --assignee-object-id (with --assignee-principal-type)');
      }
      const body: Record<string, string> = { role: opts.role!, scope: opts.scope ?? (await registryId(api())) };
      if (opts.assignee !== undefined) body.assignee = opts.assignee;
      if (opts.assigneeObjectId !== undefined) body.assigneeObjectId = opts.assigneeObjectId;
      if (opts.assigneePrincipalType !== undefined) body.assigneePrincipalType = opts.assigneePrincipalType;
      return api().call('POST', '/roleAssignments', body);
    },
  });

  clientCommand<Selectors>(assignment, {
    name: 'list',
    description: 'list role assignments (exactly at --scope unless --include-inherited or --all)',
    registryFlag: 'registry',
    tableTransformer: roleAssignmentTable,
    examples: [
      'wharf role assignment list --all -o table',
      'wharf role assignment list --scope "$(wharf show --query id -o tsv)/repositories/team/app" --include-inherited',
      'wharf role assignment list --assignee alice --query "[].roleDefinitionName" -o tsv',
    ],
    configure: (cmd) => selectorOptions(cmd)
      .option('--include-inherited', 'with a repository --scope: also the registry-scope assignments that apply there')
      .option('--all', 'every assignment, at any scope'),
    run: ({ api, opts }) => list(api(), opts),
  });

  clientCommand<Selectors & { ids?: string[]; yes?: boolean }>(assignment, {
    name: 'delete',
    description: 'remove role assignments, by id or by the same selectors as list',
    registryFlag: 'registry',
    examples: [
      'wharf role assignment delete --assignee alice --role AcrPush',
      'wharf role assignment delete --ids "$(wharf role assignment list --assignee alice --query "[0].id" -o tsv)"',
    ],
    configure: (cmd) => selectorOptions(cmd)
      .option('--ids <id...>', 'role assignment ids (or their GUID names)')
      .option('-y, --yes', 'accepted for az compatibility; nothing is asked'),
    run: async ({ api, opts }) => {
      let names: string[];
      if (opts.ids !== undefined) {
        names = opts.ids.map((id) => id.split('/').at(-1)!);
      } else {
        if (opts.assignee === undefined && opts.role === undefined) {
          throw new CliError('usage', 'say what to delete: --ids, or --assignee and/or --role (with --scope)');
        }
        // Without --scope, selectors match at any scope (as az does within a subscription).
        const found = (await list(api(), { ...opts, all: opts.scope === undefined })) as { name: string }[];
        names = found.map((a) => a.name);
      }
      for (const name of names) await api().call('DELETE', `/roleAssignments/${encodeURIComponent(name)}`);
      return undefined;
    },
  });
}

function selectorOptions(cmd: Command): Command {
  return cmd
    .option('--scope <id>', SCOPE_HELP)
    .option('--assignee <principal>', 'userPrincipalName, objectId, service principal appId or name')
    .option('--role <role>', ROLE_HELP);
}

function list(api: ApiClient, opts: Selectors): Promise<unknown> {
  const query = new URLSearchParams();
  if (opts.scope !== undefined) query.set('scope', opts.scope);
  if (opts.assignee !== undefined) query.set('assignee', opts.assignee);
  if (opts.role !== undefined) query.set('role', opts.role);
  if (opts.includeInherited) query.set('includeInherited', 'true');
  if (opts.all) query.set('all', 'true');
  const qs = query.toString();
  return api.call('GET', `/roleAssignments${qs === '' ? '' : `?${qs}`}`);
}

/** The registry's resource id, the default scope. */
export async function registryId(api: ApiClient): Promise<string> {
  const registry = (await api.call('GET', '/registry')) as { id?: unknown };
  if (typeof registry?.id !== 'string') throw new CliError('server', 'the registry did not tell its id');
  return registry.id;
}
