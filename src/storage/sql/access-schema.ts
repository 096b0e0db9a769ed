import type { Kysely, Transaction } from 'kysely';
import type { LoginKind } from '../metadata-store.ts';
import type { Database, Flag } from './schema.ts';

/**
 * Table types of the 003-access migration, kept apart from schema.ts: the access stores see
 * them through `ctx.db.withTables<AccessTables>()`. Times are milliseconds since the epoch.
 * `name_key` columns hold the lower-cased name that uniqueness and lookups use.
 */
// A type alias, not an interface: Kysely's withTables needs an index signature.
export type AccessTables = {
  login_names: LoginNameRow;
  credential_versions: CredentialVersionRow;
  users: UserRow;
  service_principals: ServicePrincipalRow;
  sp_passwords: SpPasswordRow;
  admin_account: AdminAccountRow;
  scope_maps: ScopeMapRow;
  scoped_tokens: ScopedTokenRow;
  role_assignments: RoleAssignmentRow;
  signing_keys: SigningKeyRow;
};

export type AccessDb = Kysely<Database & AccessTables>;
export type AccessTx = Transaction<Database & AccessTables>;

export interface LoginNameRow {
  name_key: string;
  kind: LoginKind;
  /** objectId (user, service principal, token) or the admin username. */
  owner_id: string;
}

export interface CredentialVersionRow {
  principal_id: string;
  version: number;
}

export interface UserRow {
  object_id: string;
  user_principal_name: string;
  name_key: string;
  display_name: string;
  password_hash: string;
  enabled: Flag;
  created_at: number;
}

export interface ServicePrincipalRow {
  object_id: string;
  app_id: string;
  name_key: string;
  display_name: string;
  /** JSON array of strings. */
  names: string;
  enabled: Flag;
  created_at: number;
}

export interface SpPasswordRow {
  key_id: string;
  object_id: string;
  display_name: string;
  hash: string;
  hint: string;
  starts_at: number;
  ends_at: number;
}

export interface AdminAccountRow {
  id: number;
  username: string;
  enabled: Flag;
  /** KeyVault-sealed. */
  sealed_password: Buffer;
  sealed_password2: Buffer;
  created_at: number;
  updated_at: number;
}

export interface ScopeMapRow {
  name: string;
  name_key: string;
  description: string;
  type: 'SystemDefined' | 'UserDefined';
  /** JSON array of {pattern, actions}. */
  rules: string;
  created_at: number;
}

export interface ScopedTokenRow {
  object_id: string;
  name: string;
  name_key: string;
  /** scope_maps.name */
  scope_map: string;
  status: 'enabled' | 'disabled';
  created_at: number;
  password1_hash: string | null;
  password1_created_at: number | null;
  password1_expires_at: number | null;
  password2_hash: string | null;
  password2_created_at: number | null;
  password2_expires_at: number | null;
}

export interface RoleAssignmentRow {
  id: string;
  principal_id: string;
  principal_type: 'User' | 'ServicePrincipal';
  role_definition_id: string;
  role_name: string;
  scope: string;
  created_by: string | null;
  created_at: number;
}

export interface SigningKeyRow {
  kid: string;
  alg: 'ES256' | 'RS256';
  public_key: string;
  sealed_private: Buffer;
  is_primary: Flag;
  retired: Flag;
  created_at: number;
}
