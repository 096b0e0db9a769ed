import { hashPassword, newGuid, newSecret } from '../../auth/secrets.ts';
import { WharfError } from '../../errors/wharf-error.ts';
import type { ScopedTokenRecord, TokenPassword, TokenPasswordName, TokenStatus } from '../../storage/metadata-store.ts';
import type { Caller } from '../caller.ts';
import type { ApiContext } from '../context.ts';
import { rulesOf } from '../scope-maps/actions.ts';
import type { NewValues } from './presenter.ts';

export interface NewToken {
  name: string;
  scopeMap?: string;
  repositories?: Record<string, string[]>;
  status?: TokenStatus;
  noPasswords?: boolean;
  expiry?: string;
}

const SLOTS: readonly TokenPasswordName[] = ['password1', 'password2'];
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/i;

/**
 * Scoped tokens (spec 2, 4): every route needs registry/credentials. Passwords are generated,
 * returned once and stored hashed, with an optional expiry; a new value or a deleted one applies
 * at once (the store bumps the credential version).
 */
export class ScopedTokenService {
  readonly #ctx: ApiContext;

  constructor(ctx: ApiContext) {
    this.#ctx = ctx;
  }

  async list(caller: Caller): Promise<ScopedTokenRecord[]> {
    await this.#ctx.authz.require(caller, 'registry/credentials');
    return this.#ctx.access.tokens.list();
  }

  async get(caller: Caller, name: string): Promise<ScopedTokenRecord> {
    await this.#ctx.authz.require(caller, 'registry/credentials');
    return this.#find(name);
  }

  /**
   * With `repositories`, creates `<name>-scope-map` first and removes it again if the token cannot
   * be stored; everything the client sent is checked before that first write.
   */
  async create(caller: Caller, input: NewToken): Promise<{ token: ScopedTokenRecord; values: NewValues }> {
    const { access, authz } = this.#ctx;
    await authz.require(caller, 'registry/credentials');
    if ((input.scopeMap === undefined) === (input.repositories === undefined)) {
      throw new WharfError('INVALID_REQUEST', 'give exactly one of scopeMap and repositories');
    }
    const expiresAt = this.#expiry(input.expiry);
    const rules = input.repositories === undefined ? undefined : rulesOf(Object.entries(input.repositories).flatMap(([repo, actions]) => actions.map((a) => `repositories/${repo}/${a}`)));
    if (rules?.length === 0) throw new WharfError('INVALID_REQUEST', 'repositories needs at least one repository');
    if (await access.logins.resolve(input.name)) throw new WharfError('CONFLICT', `the name "${input.name}" is already used by a user, service principal, token or the admin account`);
    const mapName = input.scopeMap ?? `${input.name}-scope-map`;
    if (input.scopeMap !== undefined && !(await access.scopeMaps.get(mapName))) throw new WharfError('NOT_FOUND_RESOURCE', `no scope map "${mapName}"`);
    const { passwords, values } = input.noPasswords ? { passwords: {}, values: {} } : await this.#newPasswords(SLOTS, expiresAt);
    if (rules !== undefined) await access.scopeMaps.create({ name: mapName, description: `Token-scoped map for ${input.name}`, rules });
    try {
      const token = await access.tokens.create({ name: input.name, objectId: newGuid(), scopeMapName: mapName, status: input.status ?? 'enabled', ...passwords });
      return { token, values };
    } catch (err) {
      if (rules !== undefined) await access.scopeMaps.delete(mapName);
      throw err;
    }
  }

  async update(caller: Caller, name: string, change: { scopeMap?: string; status?: TokenStatus }): Promise<ScopedTokenRecord> {
    await this.#ctx.authz.require(caller, 'registry/credentials');
    const token = await this.#find(name);
    if (change.scopeMap !== undefined && !(await this.#ctx.access.scopeMaps.get(change.scopeMap))) {
      throw new WharfError('NOT_FOUND_RESOURCE', `no scope map "${change.scopeMap}"`);
    }
    const updated = await this.#ctx.access.tokens.update(token.name, {
      ...(change.scopeMap === undefined ? {} : { scopeMapName: change.scopeMap }),
      ...(change.status === undefined ? {} : { status: change.status }),
    });
    if (!updated) throw new WharfError('NOT_FOUND_RESOURCE', `no token "${name}"`);
    return updated;
  }

  async delete(caller: Caller, name: string): Promise<void> {
    await this.#ctx.authz.require(caller, 'registry/credentials');
    const token = await this.#find(name);
    if (!(await this.#ctx.access.tokens.delete(token.name))) throw new WharfError('NOT_FOUND_RESOURCE', `no token "${name}"`);
  }

  /** New values for the given slots (default both), replacing the old ones at once. */
  async generate(caller: Caller, name: string, input: { passwords?: TokenPasswordName[]; expiry?: string }): Promise<{ token: ScopedTokenRecord; values: NewValues }> {
    await this.#ctx.authz.require(caller, 'registry/credentials');
    let token = await this.#find(name);
    const { passwords, values } = await this.#newPasswords(input.passwords ?? SLOTS, this.#expiry(input.expiry));
    for (const slot of SLOTS) {
      const password = passwords[slot];
      if (password) token = (await this.#ctx.access.tokens.setPassword(token.name, slot, password)) ?? token;
    }
    return { token, values };
  }

  async deletePassword(caller: Caller, name: string, slot: TokenPasswordName): Promise<void> {
    await this.#ctx.authz.require(caller, 'registry/credentials');
    const token = await this.#find(name);
    await this.#ctx.access.tokens.setPassword(token.name, slot, undefined);
  }

  async #find(name: string): Promise<ScopedTokenRecord> {
    const token = await this.#ctx.access.tokens.get(name);
    if (!token) throw new WharfError('NOT_FOUND_RESOURCE', `no token "${name}"`);
    return token;
  }

  async #newPasswords(slots: readonly TokenPasswordName[], expiresAt: number | undefined) {
    const passwords: Partial<Record<TokenPasswordName, TokenPassword>> = {};
    const values: NewValues = {};
    const createdAt = this.#ctx.now();
    for (const slot of slots) {
      const value = newSecret();
      passwords[slot] = { hash: await hashPassword(value), createdAt, ...(expiresAt === undefined ? {} : { expiresAt }) };
      values[slot] = value;
    }
    return { passwords, values };
  }

  #expiry(value: string | undefined): number | undefined {
    if (value === undefined) return undefined;
    const at = RFC3339.test(value) ? Date.parse(value) : Number.NaN;
    if (Number.isNaN(at)) throw new WharfError('INVALID_REQUEST', `expiry must be an RFC 3339 date-time such as 2027-01-31T00:00:00Z, not "${value.slice(0, 100)}"`);
    if (at <= this.#ctx.now()) throw new WharfError('INVALID_REQUEST', 'expiry must be in the future');
    return at;
  }
}
