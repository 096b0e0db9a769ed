/**
 * Docker token scopes (distribution `docs/spec/auth/scope.md`; shared/specs/access-and-policy.md 1.6):
 * `type[(class)]:name:action[,action]…`, several separated by spaces. Parsing never throws: a malformed
 * scope comes back as a `ScopeError` value for the token endpoint to render.
 */

/** Actions a token can carry for a repository or GUN; `*` is only ever requested, never granted there. */
export const TOKEN_ACTIONS = ['pull', 'push', 'delete', 'deleteReferrers', 'metadataRead', 'metadataWrite'] as const;
export type TokenAction = (typeof TOKEN_ACTIONS)[number];

export interface Scope {
  /** `repository` (also for `repository(plugin)`), `registry`, or another type nothing is granted on. */
  readonly type: string;
  /** The `(class)` suffix of the type, kept for logs only; `repository(plugin)` ≡ `repository`. */
  readonly resourceClass?: string;
  /** Exactly as the client wrote it: a repository, a GUN (`host[:port]/repo`) or `catalog`. */
  readonly name: string;
  /** A set: `pull,push` ≡ `push,pull`. May hold `*` and actions unknown to Wharf (granted nothing). */
  readonly actions: ReadonlySet<string>;
}

export type ScopeErrorReason = 'missing-part' | 'bad-type' | 'bad-name' | 'bad-action';

/** A malformed scope; returned, not thrown. */
export class ScopeError extends Error {
  override readonly name = 'ScopeError';
  constructor(
    readonly reason: ScopeErrorReason,
    /** The offending scope text, truncated. */
    readonly scope: string,
  ) {
    super(`malformed scope (${reason}): ${scope}`);
  }
}

export type ScopeResult<T> = { ok: true; value: T } | { ok: false; error: ScopeError };

const TYPE = /^([a-z0-9]+)(?:\(([a-z0-9]+)\))?$/;
const NAME_CHARS = /^[A-Za-z0-9._\-/:[\]]+$/;
const HOST_WITH_PORT = /^(?:[A-Za-z0-9.-]+:[0-9]+|\[[0-9A-Fa-f:.]+\](?::[0-9]+)?)$/;
const ACTION = /^(?:\*|[A-Za-z]+)$/;
const MAX_SCOPE_CHARS = 1024;

/**
 * Parses one scope. The type runs up to the first `:`, the actions follow the last `:`; the name in
 * between may contain a `:` only inside its first path segment, as a host port (`host:5000/repo`,
 * or a bracketed IPv6 host), since GUNs carry the registry host.
 */
export function parseScope(text: string): ScopeResult<Scope> {
  const fail = (reason: ScopeErrorReason): ScopeResult<Scope> => ({ ok: false, error: new ScopeError(reason, text.slice(0, 200)) });
  if (text.length > MAX_SCOPE_CHARS) return fail('bad-name');
  const first = text.indexOf(':');
  const last = text.lastIndexOf(':');
  if (first < 0 || last === first) return fail('missing-part');
  const type = TYPE.exec(text.slice(0, first));
  if (!type?.[1]) return fail('bad-type');
  const name = text.slice(first + 1, last);
  if (!isScopeName(name)) return fail('bad-name');
  const actions = text.slice(last + 1).split(',');
  if (!actions.every((a) => ACTION.test(a))) return fail('bad-action');
  const scope: Scope = { type: type[1], name, actions: new Set(actions) };
  return { ok: true, value: type[2] === undefined ? scope : { ...scope, resourceClass: type[2] } };
}

function isScopeName(name: string): boolean {
  if (name.length === 0 || !NAME_CHARS.test(name)) return false;
  if (!name.includes(':')) return true;
  const slash = name.indexOf('/');
  // A colon is only legal in the host segment, which must then be followed by a path.
  return slash > 0 && name.lastIndexOf(':') < slash && HOST_WITH_PORT.test(name.slice(0, slash));
}

/**
 * Parses every `scope` value of a token request (repeated parameters, each possibly a space-separated
 * list; empty pieces are skipped). The first malformed scope fails the whole list.
 */
export function parseScopes(values: readonly string[]): ScopeResult<Scope[]> {
  const scopes: Scope[] = [];
  for (const value of values) {
    for (const piece of value.split(' ')) {
      if (piece === '') continue;
      const parsed = parseScope(piece);
      if (!parsed.ok) return parsed;
      scopes.push(parsed.value);
    }
  }
  return { ok: true, value: scopes };
}

/**
 * Merges scopes naming the same type and exact name (docker may ask `pull` and `push` separately),
 * keeping the first appearance's position; the class suffix is dropped.
 */
export function mergeScopes(scopes: readonly Scope[]): Scope[] {
  const byKey = new Map<string, { type: string; name: string; actions: Set<string> }>();
  for (const scope of scopes) {
    const key = `${scope.type}\u0000${scope.name}`;
    const entry = byKey.get(key) ?? { type: scope.type, name: scope.name, actions: new Set<string>() };
    for (const action of scope.actions) entry.actions.add(action);
    byKey.set(key, entry);
  }
  return [...byKey.values()];
}

/** Whether an anonymous request asks for nothing but `pull` on repositories (spec 1.2, anonymous pull). */
export function requestsOnlyPull(scopes: readonly Scope[]): boolean {
  return scopes.every((s) => s.type === 'repository' && [...s.actions].every((a) => a === 'pull'));
}

/** Token actions in the order tokens list them (spec 1.4: `["pull","push"]`); others after, as given. */
export function sortActions<T extends string>(actions: Iterable<T>): T[] {
  const rank = (a: string): number => {
    const i = (TOKEN_ACTIONS as readonly string[]).indexOf(a);
    return i < 0 ? TOKEN_ACTIONS.length : i;
  };
  return [...new Set(actions)].sort((a, b) => rank(a) - rank(b));
}

/**
 * `type:name:a,b` with the actions in the order given: challenges use the reference servers' orders
 * (`pull,push` for registry writes, `push,pull` for notary publish, spec 1.1), so nothing is re-sorted here.
 */
export function formatScope(scope: { type: string; name: string; actions: Iterable<string> }): string {
  return `${scope.type}:${scope.name}:${[...scope.actions].join(',')}`;
}

/** The space-separated `scope` field of an OAuth2 token response (granted scopes). */
export function formatScopes(scopes: readonly { type: string; name: string; actions: Iterable<string> }[]): string {
  return scopes.map(formatScope).join(' ');
}
