import { Option, type Command } from 'commander';
import { parsePositiveInt } from '../arguments.ts';
import { CliError } from '../cli-error.ts';
import { clientCommand, commandGroup } from '../client-command.ts';
import { WEBHOOK_ACTIONS } from '../../events/webhook-events.ts';

const webhookPath = (name: string) => `/webhooks/${encodeURIComponent(name)}`;

/** `--headers Key=Value ...` as az takes them; on update, `--headers ""` alone removes them all. */
function headersOf(values: readonly string[], opts: { mayClear?: boolean } = {}): Record<string, string> {
  const headers: Record<string, string> = {};
  if (opts.mayClear && values.length === 1 && values[0] === '') return headers;
  for (const value of values) {
    const at = value.indexOf('=');
    if (at <= 0) throw new CliError('usage', `--headers takes key=value pairs, not "${value}"`);
    headers[value.slice(0, at)] = value.slice(at + 1);
  }
  return headers;
}

/** az acr webhook's table columns. */
function webhookTable(result: unknown): unknown {
  const rows = (Array.isArray(result) ? result : [result]) as Record<string, unknown>[];
  return rows.map((w) => ({ NAME: w.name, STATUS: w.status, SCOPE: w.scope, ACTIONS: (w.actions as string[] | undefined)?.join(', '), URI: w.serviceUri }));
}

function eventTable(result: unknown): unknown {
  const rows = (Array.isArray(result) ? result : [result]) as Record<string, unknown>[];
  return rows.map((d) => ({ ID: d.id, EVENT: d.eventType, STATUS: d.status, CODE: d.statusCode ?? '', ATTEMPTS: (d.attempts as unknown[] | undefined)?.length ?? 0, CREATED: d.createdTime }));
}

/** `wharf webhook create|update|list|show|ping|delete|list-events` (az acr webhook; docs/audit.md). */
export function registerWebhookCommands(program: Command): void {
  const webhook = commandGroup(program, 'webhook', 'webhooks: CloudEvents POSTed on pushes, deletes, signatures, revocations, policy changes and refused pulls', [
    'wharf webhook create -n ci01 --uri https://ci.example.com/hook --actions push delete --scope "team/*"',
    'wharf webhook list-events -n ci01 -o table',
  ]);

  clientCommand<{ name: string; uri: string; actions: string[]; scope?: string; headers?: string[]; status?: string }>(webhook, {
    name: 'create',
    description: 'create a webhook; prints its HMAC secret once (receivers check x-wharf-signature-256 with it)',
    registryFlag: 'registry',
    tableTransformer: webhookTable,
    examples: [
      'wharf webhook create -n ci01 --uri https://ci.example.com/hook --actions push',
      'wharf webhook create -n audit01 --uri https://siem.example.com/in --actions push delete sign revoke policy pull_refused --headers "Authorization=Bearer abc"',
      'wharf webhook create -n team01 --uri https://team.example.com/h --actions push --scope "team/*" --query secret -o tsv',
    ],
    configure: (cmd) => cmd
      .requiredOption('-n, --name <name>', 'webhook name: 5-50 letters and digits')
      .requiredOption('--uri <uri>', 'http(s) URL the events are POSTed to')
      .addOption(new Option('--actions <action...>', 'what it is sent for').choices(WEBHOOK_ACTIONS).makeOptionMandatory())
      .option('--scope <repository>', 'a repository, prefix/* or * (default: every event)')
      .option('--headers <key=value...>', 'custom headers sent with every event (sealed at rest)')
      .addOption(new Option('--status <status>', 'enabled or disabled').choices(['enabled', 'disabled'])),
    run: ({ api, opts }) => {
      const body: Record<string, unknown> = { name: opts.name, uri: opts.uri, actions: opts.actions };
      if (opts.scope !== undefined) body.scope = opts.scope;
      if (opts.headers !== undefined) body.headers = headersOf(opts.headers);
      if (opts.status !== undefined) body.status = opts.status;
      return api().call('POST', '/webhooks', body);
    },
  });

  clientCommand<{ name: string; uri?: string; actions?: string[]; scope?: string; headers?: string[]; status?: string; regenerateSecret?: boolean }>(webhook, {
    name: 'update',
    description: 'change a webhook: only the options given change (pending deliveries go out with the new settings)',
    registryFlag: 'registry',
    tableTransformer: webhookTable,
    examples: [
      'wharf webhook update -n ci01 --status disabled',
      'wharf webhook update -n ci01 --uri https://ci2.example.com/hook --actions push delete --scope ""',
      'wharf webhook update -n ci01 --headers "Authorization=Bearer new" --regenerate-secret --query secret -o tsv',
    ],
    configure: (cmd) => cmd
      .requiredOption('-n, --name <name>', 'the webhook')
      .option('--uri <uri>', 'http(s) URL the events are POSTed to')
      .addOption(new Option('--actions <action...>', 'what it is sent for (replaces the list)').choices(WEBHOOK_ACTIONS))
      .option('--scope <repository>', 'a repository, prefix/* or *; "" for every event')
      .option('--headers <key=value...>', 'custom headers (replace all of them; "" removes them)')
      .addOption(new Option('--status <status>', 'enabled or disabled').choices(['enabled', 'disabled']))
      .option('--regenerate-secret', 'a new HMAC secret, printed once; the old one stops signing at once'),
    run: ({ api, opts }) => {
      const body: Record<string, unknown> = {};
      if (opts.uri !== undefined) body.uri = opts.uri;
      if (opts.actions !== undefined) body.actions = opts.actions;
      if (opts.scope !== undefined) body.scope = opts.scope;
      if (opts.headers !== undefined) body.headers = headersOf(opts.headers, { mayClear: true });
      if (opts.status !== undefined) body.status = opts.status;
      if (opts.regenerateSecret) body.regenerateSecret = true;
      if (Object.keys(body).length === 0) throw new CliError('usage', 'nothing to update: give --uri, --actions, --scope, --headers, --status or --regenerate-secret');
      return api().call('PATCH', webhookPath(opts.name), body);
    },
  });

  clientCommand<object>(webhook, {
    name: 'list',
    description: 'every webhook',
    registryFlag: 'registry',
    tableTransformer: webhookTable,
    examples: ['wharf webhook list -o table'],
    run: ({ api }) => api().call('GET', '/webhooks'),
  });

  for (const [name, description, method, suffix] of [
    ['show', 'one webhook', 'GET', ''],
    ['ping', 'send an io.wharf.ping event now (see list-events for the outcome)', 'POST', '/ping'],
    ['delete', 'delete a webhook and its delivery log', 'DELETE', ''],
  ] as const) {
    clientCommand<{ name: string }>(webhook, {
      name,
      description,
      registryFlag: 'registry',
      ...(name === 'show' && { tableTransformer: webhookTable }),
      examples: [`wharf webhook ${name} -n ci01`],
      configure: (cmd) => cmd.requiredOption('-n, --name <name>', 'the webhook').option('-y, --yes', 'accepted for az compatibility'),
      run: ({ api, opts }) => api().call(method, webhookPath(opts.name) + suffix),
    });
  }

  clientCommand<{ name: string; top?: number }>(webhook, {
    name: 'list-events',
    description: 'recent deliveries, newest first, with every attempt and the status code it got',
    registryFlag: 'registry',
    tableTransformer: eventTable,
    examples: ['wharf webhook list-events -n ci01 -o table', 'wharf webhook list-events -n ci01 --query "[?status==\'failed\']"'],
    configure: (cmd) => cmd
      .requiredOption('-n, --name <name>', 'the webhook')
      .option('--top <n>', 'at most this many (default 100)', parsePositiveInt),
    run: ({ api, opts }) => api().call('GET', `${webhookPath(opts.name)}/deliveries${opts.top === undefined ? '' : `?top=${opts.top}`}`),
  });
}
