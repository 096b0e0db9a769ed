import { hashPassword, newGuid, newSecret } from '../../auth/secrets.ts';
import { WharfError } from '../../errors/wharf-error.ts';
import type { UserRecord } from '../../storage/metadata-store.ts';
import { denied, REGISTRY_SCOPE } from '../authorization.ts';
import type { Caller } from '../caller.ts';
import type { ApiContext } from '../context.ts';
import { findUser } from '../principals.ts';

export interface UserChange {
  password?: string;
  accountEnabled?: boolean;
  displayName?: string;
}

/**
 * Users (spec 2). Viewing needs access/read, changing access/write on the registry: whoever can
 * reset a password can become that user, so only those who may grant roles may do it. A user may
 * view itself and change its own password and display name, but not disable or delete itself.
 * Disabling a user or changing its password ends its refresh tokens (the store bumps its
 * credential version); deleting it removes its role assignments.
 */
export class UserService {
  readonly #ctx: ApiContext;

  constructor(ctx: ApiContext) {
    this.#ctx = ctx;
  }

  async list(caller: Caller): Promise<UserRecord[]> {
    await this.#ctx.authz.require(caller, 'access/read');
    return this.#ctx.access.users.list();
  }

  async get(caller: Caller, ref: string): Promise<UserRecord> {
    return this.#find(caller, ref, 'access/read');
  }

  /** Returns the generated password when none was given. */
  async create(caller: Caller, input: { userPrincipalName: string; displayName?: string; password?: string }): Promise<{ user: UserRecord; generated?: string }> {
    await this.#ctx.authz.require(caller, 'access/write');
    const generated = input.password === undefined ? newSecret() : undefined;
    const user = await this.#ctx.access.users.create({
      objectId: newGuid(),
      userPrincipalName: input.userPrincipalName,
      displayName: input.displayName ?? input.userPrincipalName,
      passwordHash: await hashPassword(input.password ?? generated!),
      isEnabled: true,
    });
    return generated === undefined ? { user } : { user, generated };
  }

  async update(caller: Caller, ref: string, change: UserChange): Promise<UserRecord> {
    const isSelfService = change.accountEnabled === undefined;
    const user = await this.#find(caller, ref, 'access/write', isSelfService);
    if (change.accountEnabled === false && user.objectId === caller.objectId) {
      throw new WharfError('INVALID_REQUEST', 'you cannot disable your own account; ask another Owner');
    }
    const updated = await this.#ctx.access.users.update(user.objectId, {
      ...(change.displayName === undefined ? {} : { displayName: change.displayName }),
      ...(change.accountEnabled === undefined ? {} : { isEnabled: change.accountEnabled }),
      ...(change.password === undefined ? {} : { passwordHash: await hashPassword(change.password) }),
    });
    if (!updated) throw new WharfError('NOT_FOUND_RESOURCE', `no user "${ref}"`);
    return updated;
  }

  async delete(caller: Caller, ref: string): Promise<void> {
    const user = await this.#find(caller, ref, 'access/write', false);
    if (user.objectId === caller.objectId) throw new WharfError('INVALID_REQUEST', 'you cannot delete your own account; ask another Owner');
    if (!(await this.#ctx.access.users.delete(user.objectId))) throw new WharfError('NOT_FOUND_RESOURCE', `no user "${ref}"`);
  }

  /**
   * The user, once the caller may act on it: `permission` on the registry, or being that user
   * when `selfAllowed`. Authorization comes first, so that unauthorized callers learn nothing.
   */
  async #find(caller: Caller, ref: string, permission: 'access/read' | 'access/write', selfAllowed = true): Promise<UserRecord> {
    const held = await this.#ctx.authz.heldAt(caller, REGISTRY_SCOPE);
    if (held.has(permission)) return findUser(this.#ctx.access, ref);
    const self = selfAllowed && caller.kind === 'user' ? await this.#ctx.access.users.get(caller.objectId) : undefined;
    if (self && (ref.toLowerCase() === self.objectId || ref.toLowerCase() === self.userPrincipalName.toLowerCase())) return self;
    throw denied(caller, permission);
  }
}
