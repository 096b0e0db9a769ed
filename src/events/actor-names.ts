import type { AccessRecords } from '../storage/metadata-store.ts';

const MAX_CACHED = 1000;

/**
 * Login names for the principal ids access tokens carry (`sub` is an objectId, or the registry
 * name for the admin account): audit records name who acted the way people log in. Names never
 * change for an id, so they are cached (bounded); an id that names nothing is kept as it is.
 */
export class ActorNames {
  readonly #access: AccessRecords;
  readonly #cache = new Map<string, Promise<string>>();

  constructor(access: AccessRecords) {
    this.#access = access;
  }

  nameOf(id: string): Promise<string> {
    let name = this.#cache.get(id);
    if (!name) {
      name = this.#lookup(id);
      if (this.#cache.size >= MAX_CACHED) this.#cache.clear();
      this.#cache.set(id, name);
      name.catch(() => this.#cache.delete(id));
    }
    return name;
  }

  async #lookup(id: string): Promise<string> {
    const user = await this.#access.users.get(id);
    if (user) return user.userPrincipalName;
    const sp = await this.#access.servicePrincipals.get(id);
    if (sp) return sp.appId;
    const token = (await this.#access.tokens.list()).find((t) => t.objectId === id);
    return token?.name ?? id;
  }
}
