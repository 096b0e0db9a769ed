import { parseArmAction, formatArmAction } from '../../auth/scope-maps.ts';
import type { ScopeMapAction } from '../../auth/permissions.ts';
import type { RepositoryPattern } from '../../auth/repository-pattern.ts';
import { WharfError } from '../../errors/wharf-error.ts';
import type { ScopeMapRuleRecord } from '../../storage/metadata-store.ts';

/** The ARM actions of stored rules, `repositories/<pattern>/<action>`, in rule order. */
export function actionsOf(rules: readonly ScopeMapRuleRecord[]): string[] {
  return rules.flatMap((r) => r.actions.map((a) => formatArmAction(r.pattern as RepositoryPattern, a as ScopeMapAction)));
}

/** ARM actions → rules, one per pattern in first-seen order, duplicates dropped; INVALID_REQUEST names a bad action. */
export function rulesOf(actions: readonly string[]): ScopeMapRuleRecord[] {
  const byPattern = new Map<string, Set<string>>();
  for (const value of actions) {
    const parsed = parseArmAction(value);
    if (!parsed.ok) throw new WharfError('INVALID_REQUEST', `invalid action "${value.slice(0, 300)}": ${parsed.message}`);
    const set = byPattern.get(parsed.pattern) ?? new Set<string>();
    set.add(parsed.action);
    byPattern.set(parsed.pattern, set);
  }
  return [...byPattern].map(([pattern, set]) => ({ pattern, actions: [...set] }));
}
