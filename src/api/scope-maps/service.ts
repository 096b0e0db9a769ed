import { WharfError } from '../../errors/wharf-error.ts';
import type { ScopeMapRecord } from '../../storage/metadata-store.ts';
import type { Caller } from '../caller.ts';
import type { ApiContext } from '../context.ts';
import { actionsOf, rulesOf } from './actions.ts';

/**
 * Scope maps (spec 4): every route needs registry/credentials. System maps are read-only; a map a
 * token uses cannot be deleted; an updated map applies to its tokens' next access token.
 */
export class ScopeMapService {
  readonly #ctx: ApiContext;

  constructor(ctx: ApiContext) {
    this.#ctx = ctx;
  }

  async list(caller: Caller): Promise<ScopeMapRecord[]> {
    await this.#ctx.authz.require(caller, 'registry/credentials');
    return this.#ctx.access.scopeMaps.list();
  }

  async get(caller: Caller, name: string): Promise<ScopeMapRecord> {
    await this.#ctx.authz.require(caller, 'registry/credentials');
    return this.#find(name);
  }

  async create(caller: Caller, input: { name: string; actions: string[]; description?: string }): Promise<ScopeMapRecord> {
    await this.#ctx.authz.require(caller, 'registry/credentials');
    return this.#ctx.access.scopeMaps.create({ name: input.name, description: input.description ?? '', rules: rulesOf(input.actions) });
  }

  async update(caller: Caller, name: string, change: { addActions?: string[]; removeActions?: string[]; description?: string }): Promise<ScopeMapRecord> {
    await this.#ctx.authz.require(caller, 'registry/credentials');
    const map = await this.#writable(name);
    const removed = new Set(rulesOf(change.removeActions ?? []).flatMap((r) => actionsOf([r])));
    const actions = [...actionsOf(map.rules).filter((a) => !removed.has(a)), ...actionsOf(rulesOf(change.addActions ?? []))];
    if (actions.length === 0) throw new WharfError('INVALID_REQUEST', 'a scope map needs at least one action; delete it instead');
    const updated = await this.#ctx.access.scopeMaps.update(map.name, {
      rules: rulesOf(actions),
      ...(change.description === undefined ? {} : { description: change.description }),
    });
    if (!updated) throw new WharfError('NOT_FOUND_RESOURCE', `no scope map "${name}"`);
    return updated;
  }

  async delete(caller: Caller, name: string): Promise<void> {
    await this.#ctx.authz.require(caller, 'registry/credentials');
    const map = await this.#writable(name);
    const users = (await this.#ctx.access.tokens.list()).filter((t) => t.scopeMapName.toLowerCase() === map.name.toLowerCase());
    if (users.length > 0) throw new WharfError('CONFLICT', `scope map "${map.name}" is used by token(s) ${users.map((t) => t.name).join(', ')}; delete them or give them another map first`);
    if (!(await this.#ctx.access.scopeMaps.delete(map.name))) throw new WharfError('NOT_FOUND_RESOURCE', `no scope map "${name}"`);
  }

  async #find(name: string): Promise<ScopeMapRecord> {
    const map = await this.#ctx.access.scopeMaps.get(name);
    if (!map) throw new WharfError('NOT_FOUND_RESOURCE', `no scope map "${name}"`);
    return map;
  }

  async #writable(name: string): Promise<ScopeMapRecord> {
    const map = await this.#find(name);
    if (map.type === 'SystemDefined') throw new WharfError('INVALID_REQUEST', `"${map.name}" is a system scope map and read-only; create a map of your own instead`);
    return map;
  }
}
