import type { Command } from 'commander';
import { parsePositiveInt } from '../arguments.ts';
import { clientCommand, commandGroup } from '../client-command.ts';

interface ListOptions {
  action?: string;
  repository?: string;
  actor?: string;
  since?: string;
  until?: string;
  top?: number;
  before?: number;
}

/** Columns of `wharf audit list -o table`: what happened, not the hashes. */
function auditTable(result: unknown): unknown {
  const rows = (Array.isArray(result) ? result : [result]) as Record<string, unknown>[];
  return rows.map((r) => ({ SEQ: r.seq, TIME: r.time, ACTION: r.action, ACTOR: r.actor, REPOSITORY: r.repository, SUBJECT: r.subject }));
}

/** `wharf audit list|verify` (docs/audit.md). */
export function registerAuditCommands(program: Command): void {
  const audit = commandGroup(program, 'audit', 'the registry\'s hash-chained audit log', [
    'wharf audit list --repository team/app --action image. -o table',
    'wharf audit verify',
  ]);

  clientCommand<ListOptions>(audit, {
    name: 'list',
    description: 'audit records, newest first',
    registryFlag: 'name',
    tableTransformer: auditTable,
    examples: [
      'wharf audit list --action image.pushed --top 20 -o table',
      'wharf audit list --actor alice@example.com --since 2026-01-01T00:00:00Z',
      'wharf audit list --action request.denied --query "[].{who: actor, what: detail.resource}" -o tsv',
    ],
    configure: (cmd) => cmd
      .option('--action <action>', "an action (image.pushed) or a prefix ending in '.' (image.)")
      .option('--repository <repo>', 'only records of this repository')
      .option('--actor <name>', 'only records of this login name')
      .option('--since <utc>', 'from this time, RFC 3339 (2026-01-31T00:00:00Z)')
      .option('--until <utc>', 'up to this time, RFC 3339')
      .option('--top <n>', 'at most this many records (default 100, at most 1000)', parsePositiveInt)
      .option('--before <seq>', 'only records before this sequence number (the next page)', parsePositiveInt),
    run: ({ api, opts }) => {
      const query = new URLSearchParams();
      for (const key of ['action', 'repository', 'actor', 'since', 'until', 'top', 'before'] as const) {
        if (opts[key] !== undefined) query.set(key, String(opts[key]));
      }
      const qs = query.toString();
      return api().call('GET', `/audit${qs === '' ? '' : `?${qs}`}`);
    },
  });

  clientCommand<object>(audit, {
    name: 'verify',
    description: 'recompute the whole hash chain; exits 1 when a record was changed or removed',
    registryFlag: 'name',
    examples: ['wharf audit verify', 'wharf audit verify --query headHash -o tsv   # keep it elsewhere to detect a rewrite later'],
    run: async ({ api }) => {
      const verdict = (await api().call('POST', '/audit/verify')) as { isValid?: boolean };
      if (verdict.isValid !== true) process.exitCode = 1;
      return verdict;
    },
  });
}
