import { readFile } from 'node:fs/promises';
import type { AccessRecords } from '../storage/metadata-store.ts';
import type { KeyVault } from '../trust/key-vault.ts';
import { ROLES } from './roles.ts';
import { adminPasswordAad, hashPassword, newGuid, newSecret } from './secrets.ts';

/** The login name of the user created on first start. */
export const OWNER_USER = 'owner';

export interface BootstrapOptions {
  readonly access: AccessRecords;
  readonly vault: KeyVault;
  /** The registry name: the admin account's login name (spec 2). */
  readonly registryName: string;
  /** `<registryId>` (src/api/registry-settings.ts): the scope of the owner's Owner assignment. */
  readonly registryId: string;
  /** From auth.ownerPassword (or WHARF_AUTH__OWNER_PASSWORD). */
  readonly ownerPassword?: string;
  /** From auth.ownerPasswordFile. */
  readonly ownerPasswordFile?: string;
}

/** What the first start created; `generatedPassword` is shown once by the caller, never logged. */
export interface BootstrapResult {
  readonly ownerCreated: boolean;
  readonly generatedPassword?: string;
}

/**
 * Makes sure the identities an authenticated registry needs exist: the admin account (created
 * disabled, spec 2) and, on first start only, the `owner` user with role Owner at registry scope.
 * Idempotent: later starts change nothing, whatever password is configured then.
 */
export async function bootstrapAuth(opts: BootstrapOptions): Promise<BootstrapResult> {
  const { access, vault, registryName } = opts;
  await access.admin.ensure(registryName, async () => ({
    sealedPassword: vault.seal(Buffer.from(newSecret(), 'utf8'), adminPasswordAad(registryName, 'password')),
    sealedPassword2: vault.seal(Buffer.from(newSecret(), 'utf8'), adminPasswordAad(registryName, 'password2')),
  }));
  if (await access.users.byName(OWNER_USER)) return { ownerCreated: false };
  const configured = await configuredPassword(opts);
  const password = configured ?? newSecret();
  const objectId = newGuid();
  try {
    await access.users.create({ objectId, userPrincipalName: OWNER_USER, displayName: 'Owner', passwordHash: await hashPassword(password), isEnabled: true });
  } catch (err) {
    // Another node won the race to create it: that one reports the password.
    if (await access.users.byName(OWNER_USER)) return { ownerCreated: false };
    throw err;
  }
  const owner = ROLES.Owner;
  await access.roleAssignments.create({
    id: newGuid(), principalId: objectId, principalType: 'User', roleDefinitionId: owner.id, roleName: owner.name, scope: opts.registryId,
  });
  return configured === undefined ? { ownerCreated: true, generatedPassword: password } : { ownerCreated: true };
}

async function configuredPassword(opts: BootstrapOptions): Promise<string | undefined> {
  if (opts.ownerPassword !== undefined) return opts.ownerPassword;
  if (opts.ownerPasswordFile === undefined) return undefined;
  const text = (await readFile(opts.ownerPasswordFile, 'utf8')).trim();
  if (text === '') throw new Error('auth.ownerPasswordFile is empty');
  return text;
}
