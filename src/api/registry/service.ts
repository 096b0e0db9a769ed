import { adminPasswordAad, newSecret } from '../../auth/secrets.ts';
import { WharfError } from '../../errors/wharf-error.ts';
import type { AdminAccountRecord, AdminPasswordName, RegistrySettingsRecord } from '../../storage/metadata-store.ts';
import type { TrustStatus } from '../../trust/policy.ts';
import type { Caller } from '../caller.ts';
import type { ApiContext } from '../context.ts';

export interface RegistryView {
  readonly settings: RegistrySettingsRecord;
  readonly adminUserEnabled: boolean;
  /** After a trust policy change: how many repositories lost their trust data. */
  readonly trustDataDeleted?: number;
}

export interface RegistryChange {
  adminUserEnabled?: boolean;
  anonymousPullEnabled?: boolean;
  policies?: TrustPolicies;
  properties?: { policies?: TrustPolicies };
}

type TrustPolicies = { trustPolicy?: { status: TrustStatus } };

export interface AdminPasswords {
  readonly username: string;
  readonly password: string;
  readonly password2: string;
}

/**
 * The registry resource (spec 3, 7): viewing needs registry/read, changing adminUserEnabled or
 * anonymousPullEnabled registry/write, the admin passwords registry/credentials. The admin
 * passwords are sealed, not hashed, so that they can be shown again [ACR].
 */
export class RegistryService {
  readonly #ctx: ApiContext;

  constructor(ctx: ApiContext) {
    this.#ctx = ctx;
  }

  async show(caller: Caller): Promise<RegistryView> {
    await this.#ctx.authz.require(caller, 'registry/read');
    return this.#view(await this.#ctx.registry.current());
  }

  /** The trust policy first: a refused (unconfirmed) disable then changes nothing else. */
  async update(caller: Caller, change: RegistryChange, confirmedDeletion: boolean): Promise<RegistryView> {
    await this.#ctx.authz.require(caller, 'registry/write');
    const trustStatus = (change.properties?.policies ?? change.policies)?.trustPolicy?.status;
    const trust = trustStatus === undefined ? undefined : await this.#ctx.contentTrust.change({ scope: 'registry', status: trustStatus }, confirmedDeletion);
    if (change.adminUserEnabled !== undefined) await this.#ctx.access.admin.setEnabled(change.adminUserEnabled);
    const settings = change.anonymousPullEnabled === undefined
      ? await this.#ctx.registry.current()
      : await this.#ctx.registry.update({ anonymousPullEnabled: change.anonymousPullEnabled });
    return { ...(await this.#view(settings)), ...(trust && { trustDataDeleted: trust.trustDataDeleted }) };
  }

  async credentials(caller: Caller): Promise<AdminPasswords> {
    await this.#ctx.authz.require(caller, 'registry/credentials');
    return this.#passwords(await this.#enabledAdmin());
  }

  /** A new value for one password; the other is kept. Logins with the old value stop at once. */
  async renew(caller: Caller, name: AdminPasswordName): Promise<AdminPasswords> {
    await this.#ctx.authz.require(caller, 'registry/credentials');
    const admin = await this.#enabledAdmin();
    const sealed = this.#ctx.vault.seal(Buffer.from(newSecret(), 'utf8'), adminPasswordAad(admin.username, name));
    const renewed = await this.#ctx.access.admin.setPassword(name, sealed);
    if (!renewed) throw new WharfError('NOT_FOUND_RESOURCE', 'the registry has no admin account');
    return this.#passwords(renewed);
  }

  async #view(settings: RegistrySettingsRecord): Promise<RegistryView> {
    const admin = await this.#ctx.access.admin.get();
    return { settings, adminUserEnabled: admin?.isEnabled ?? false };
  }

  async #enabledAdmin(): Promise<AdminAccountRecord> {
    const admin = await this.#ctx.access.admin.get();
    if (!admin?.isEnabled) {
      throw new WharfError('CONFLICT', `the admin account is disabled; enable it first with: wharf update -n ${this.#ctx.registry.name} --admin-enabled true`);
    }
    return admin;
  }

  #passwords(admin: AdminAccountRecord): AdminPasswords {
    const open = (name: AdminPasswordName, sealed: Buffer) => this.#ctx.vault.open(sealed, adminPasswordAad(admin.username, name)).toString('utf8');
    return { username: admin.username, password: open('password', admin.sealedPassword), password2: open('password2', admin.sealedPassword2) };
  }
}
