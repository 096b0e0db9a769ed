import type { Static } from 'typebox';
import type { UserRecord } from '../../storage/metadata-store.ts';
import type { CreatedUser, User } from './schemas.ts';

export function presentUser(user: UserRecord): Static<typeof User> {
  return { accountEnabled: user.isEnabled, displayName: user.displayName, objectId: user.objectId, userPrincipalName: user.userPrincipalName };
}

/** The created user; the password only when Wharf generated it (shown this once). */
export function presentCreatedUser(user: UserRecord, generatedPassword: string | undefined): Static<typeof CreatedUser> {
  return { ...presentUser(user), ...(generatedPassword === undefined ? {} : { password: generatedPassword }) };
}
