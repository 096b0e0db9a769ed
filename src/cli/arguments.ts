import { InvalidArgumentError } from 'commander';
import { CliError } from './cli-error.ts';

/** `true`/`false` as az takes them (also yes/no, 1/0); an option parser, so a bad value is commander's usage error. */
export function parseBool(value: string): boolean {
  const v = value.toLowerCase();
  if (['true', 'yes', '1'].includes(v)) return true;
  if (['false', 'no', '0'].includes(v)) return false;
  throw new InvalidArgumentError('expected true or false');
}

export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a whole number above 0');
  return n;
}

/** `--expiration` (UTC `YYYY-MM-DDTHH:MM:SSZ`) or `--expiration-in-days N` → an RFC 3339 instant, or undefined for none. */
export function expiryOf(opts: { expiration?: string; expirationInDays?: number }, now = Date.now()): string | undefined {
  if (opts.expiration !== undefined && opts.expirationInDays !== undefined) {
    throw new CliError('usage', '--expiration and --expiration-in-days are exclusive');
  }
  if (opts.expirationInDays !== undefined) return new Date(now + opts.expirationInDays * 86_400_000).toISOString();
  if (opts.expiration === undefined) return undefined;
  const at = Date.parse(opts.expiration);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(opts.expiration) || Number.isNaN(at)) {
    throw new CliError('usage', `--expiration must be a UTC time like 2027-01-31T00:00:00Z (got '${opts.expiration}')`);
  }
  return new Date(at).toISOString();
}

const ACTION = /^(content|metadata)\/[a-z]+$/;

/**
 * `--repository <repo> <action>... [--repository <repo> <action>...]` as commander hands a repeated
 * variadic option over: one flat list. A value shaped like an action (`content/read`) belongs to
 * the repository before it; anything else starts a new repository.
 */
export function repositoryActions(values: readonly string[] | undefined, flag: string): Map<string, string[]> {
  const repositories = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const value of values ?? []) {
    if (ACTION.test(value)) {
      if (current === undefined) throw new CliError('usage', `${flag} takes a repository first, then its actions (got '${value}' first)`);
      current.push(value);
    } else {
      current = repositories.get(value) ?? [];
      repositories.set(value, current);
    }
  }
  for (const [repo, actions] of repositories) {
    if (actions.length === 0) throw new CliError('usage', `${flag} ${repo} needs at least one action (content/read, content/write, content/delete, metadata/read, metadata/write, content/sign)`);
  }
  return repositories;
}

/** The ARM form of scope-map actions: `repositories/<repo>/<action>`. */
export function armActions(repositories: Map<string, string[]>): string[] {
  return [...repositories].flatMap(([repo, actions]) => actions.map((a) => `repositories/${repo}/${a}`));
}
