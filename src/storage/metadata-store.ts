import type { Digest } from '../oci/digest.ts';
import type { RepoName, Tag } from '../oci/names.ts';
import type { Gun, NewTrustDoc, ServerKeyRecord, ServerRole, TrustChange, TrustDoc, TufRole } from '../trust/types.ts';
import type { UploadId } from './blob-store.ts';

/**
 * Everything queryable about the registry. SQLite (default) and PostgreSQL implement it with the
 * same Kysely queries; both pass test/contract/metadata-store.test.ts.
 * Times are milliseconds since the epoch. Absence is `undefined`, never an exception; backend
 * failures throw WharfError('UNAVAILABLE').
 */
export interface MetadataStore {
  readonly repositories: RepositoryIndex;
  readonly blobs: BlobIndex;
  readonly manifests: ManifestIndex;
  readonly tags: TagIndex;
  /** Listings with sizes, times and changeable attributes (/acr/v1), and the locks they set. */
  readonly attributes: AttributeIndex;
  readonly uploads: UploadSessions;
  readonly garbage: GarbageIndex;
  readonly trust: TrustDocs;
  readonly serverKeys: ServerKeys;
  /** Identities, their hashed or sealed secrets, scope maps, role assignments, token-service keys. */
  readonly access: AccessRecords;
  /** The registry's own record: installation id, name, creation date, registry-wide settings. */
  readonly settings: RegistrySettingsStore;
  /** The hash-chained audit log and the webhook outbox it feeds (docs/audit.md). */
  readonly audit: AuditLog;
  /** Webhook subscriptions and their deliveries. */
  readonly webhooks: WebhookStore;
  /** Import operations (`wharf import`), visible from every node (docs/import.md). */
  readonly imports: ImportOperationStore;
  /** Cheap round trip to the database, for /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface Page {
  /** Return only names sorted after this one. */
  last?: string;
  limit: number;
}

export interface RepositoryIndex {
  /** Repository names in ascending byte order, without those whose listEnabled is off (ACR's catalog). */
  list(page: Page): Promise<string[]>;
  /** A repository exists from its first blob link or manifest on; deleting its content does not remove it. */
  exists(repo: RepoName): Promise<boolean>;
}

export interface BlobIndex {
  /**
   * Records that the blob's bytes are committed in the blob store (insert, or refresh
   * `lastSeenAt` to now). Call before publishing the bytes: garbage collection spares blobs seen
   * within its grace period.
   */
  touch(digest: Digest, size: number): Promise<void>;
  /** Size of a blob known to the registry (in any repository). */
  size(digest: Digest): Promise<number | undefined>;
  /** Links a known blob into a repository (creating the repository); false when the blob is unknown. Idempotent. */
  link(repo: RepoName, digest: Digest): Promise<boolean>;
  /** The blob's size when it is linked into the repository. */
  linked(repo: RepoName, digest: Digest): Promise<{ size: number } | undefined>;
  /** Removes the link; false when there was none. The bytes stay until garbage collection. */
  unlink(repo: RepoName, digest: Digest): Promise<boolean>;
  /** Up to `limit` repositories the blob is linked into, in name order. */
  holders(digest: Digest, limit: number): Promise<RepoName[]>;
}

export interface ManifestInput {
  repo: RepoName;
  digest: Digest;
  mediaType: string;
  /** The exact bytes received; served back unchanged. */
  bytes: Buffer;
  /** Blobs (config, layers) that must be linked into the repository. */
  blobRefs: readonly Digest[];
  /** Child manifests (of an index) that must be in the repository. */
  manifestRefs: readonly Digest[];
  subject?: Digest;
  artifactType?: string;
  /** JSON text of the manifest's annotations, kept for the referrers API. */
  annotations?: string;
  /** Tag to point at the manifest in the same transaction. */
  tag?: Tag;
}

export interface StoredManifest {
  digest: Digest;
  mediaType: string;
  bytes: Buffer;
  createdAt: number;
}

export interface ReferrerRecord {
  digest: Digest;
  mediaType: string;
  size: number;
  artifactType?: string;
  annotations?: string;
}

export interface ManifestIndex {
  /**
   * Stores the manifest and its tag in one transaction if every blobRef is linked into the
   * repository and every manifestRef is a manifest of it; otherwise writes nothing and returns
   * the missing digests. Re-putting the same digest is idempotent (moves the tag only).
   * Refreshes the links it relies on so that garbage collection cannot remove them meanwhile.
   */
  put(input: ManifestInput): Promise<{ missing: Digest[] }>;
  get(repo: RepoName, digest: Digest): Promise<StoredManifest | undefined>;
  /** Deletes the manifest and every tag pointing at it; false when absent. */
  delete(repo: RepoName, digest: Digest): Promise<boolean>;
  /** Manifests of the repository whose subject is `subject`, optionally of one artifact type, by digest. */
  referrers(repo: RepoName, subject: Digest, artifactType?: string): Promise<ReferrerRecord[]>;
}

export interface TagIndex {
  resolve(repo: RepoName, tag: Tag): Promise<Digest | undefined>;
  /**
   * Tags in ascending byte order, without those whose listEnabled is off or whose manifest's is (the
   * page is filled from the tags after them); undefined when the repository does not exist.
   */
  list(repo: RepoName, page: Page): Promise<string[] | undefined>;
  /** Removes the tag (the manifest stays); false when absent. */
  delete(repo: RepoName, tag: Tag): Promise<boolean>;
}

/** ACR's changeable attributes of a repository, tag or manifest; all true unless changed. */
export interface ChangeableAttributes {
  deleteEnabled: boolean;
  writeEnabled: boolean;
  readEnabled: boolean;
  listEnabled: boolean;
}

export interface RepositoryDetail {
  name: RepoName;
  createdAt: number;
  /** The newest manifest push or tag move; createdAt when there was none. */
  updatedAt: number;
  manifestCount: number;
  tagCount: number;
  /** Bytes of the blobs linked into the repository plus its manifests (shared blobs count in each repository). */
  size: number;
  attributes: ChangeableAttributes;
}

export interface TagDetail {
  name: Tag;
  digest: Digest;
  createdAt: number;
  updatedAt: number;
  attributes: ChangeableAttributes;
}

export interface ManifestDetail {
  digest: Digest;
  mediaType: string;
  /** The manifest's bytes plus the blobs it references (an index: its own bytes only). */
  size: number;
  createdAt: number;
  /** Tags pointing at it, in byte order. */
  tags: Tag[];
  subject?: Digest;
  artifactType?: string;
  attributes: ChangeableAttributes;
}

/** Name order pages with `last`; time orders (newest or oldest tag move / push first) take only `limit`. */
export interface DetailPage {
  last?: string;
  limit: number;
  order: 'name' | 'timeDesc' | 'timeAsc';
  /** Leave out what listEnabled hides: tags with it off or on a manifest with it off; manifests with it off. */
  listedOnly?: boolean;
}

/** What an attribute change applies to. */
export type AttributeTarget =
  | { kind: 'repository'; repo: RepoName }
  | { kind: 'tag'; repo: RepoName; tag: Tag }
  | { kind: 'manifest'; repo: RepoName; digest: Digest };

/** A repository, tag or manifest with writeEnabled or deleteEnabled off. */
export type Lock = AttributeTarget & { writeEnabled: boolean; deleteEnabled: boolean };

/** A repository, tag or manifest with readEnabled or listEnabled off. */
export type Restriction = AttributeTarget & { readEnabled: boolean; listEnabled: boolean };

/**
 * The /acr/v1 view of repositories: details with counts and sizes computed by the database (a
 * bounded number of statements per call, whatever the page size), and ACR's changeable attributes.
 * Undefined when the repository (tag, manifest) does not exist.
 */
export interface AttributeIndex {
  repository(repo: RepoName): Promise<RepositoryDetail | undefined>;
  tags(repo: RepoName, page: DetailPage): Promise<TagDetail[] | undefined>;
  tag(repo: RepoName, tag: Tag): Promise<TagDetail | undefined>;
  manifests(repo: RepoName, page: DetailPage): Promise<ManifestDetail[] | undefined>;
  manifest(repo: RepoName, digest: Digest): Promise<ManifestDetail | undefined>;
  /** Sets the given attributes; false when the target does not exist. */
  update(target: AttributeTarget, change: Partial<ChangeableAttributes>): Promise<boolean>;
  /**
   * The locks among: the repository; `tag` and the manifest it points at; the manifests `digests`;
   * the tags pointing at the manifests `tagsOf`; with `all`, every tag and manifest of the
   * repository. One statement; empty when nothing is locked.
   */
  locks(repo: RepoName, on: { tag?: Tag; digests?: readonly Digest[]; tagsOf?: readonly Digest[]; all?: boolean }): Promise<Lock[]>;
  /**
   * Every repository, tag and manifest of the registry with readEnabled or listEnabled off, in no
   * particular order. One statement whose cost follows the number of such rows (partial indexes),
   * so that every node can reload it each second.
   */
  restricted(): Promise<Restriction[]>;
  /**
   * Deletes the repository with its manifests, tags and blob links in one transaction; undefined
   * when it did not exist. Blob bytes stay until garbage collection; upload sessions expire.
   */
  deleteRepository(repo: RepoName): Promise<{ manifests: Digest[]; tags: Tag[] } | undefined>;
}

export interface UploadSession {
  id: UploadId;
  repo: RepoName;
  /** Bytes acknowledged to the client. */
  offset: number;
  startedAt: number;
  updatedAt: number;
}

export interface UploadSessions {
  create(id: UploadId, repo: RepoName): Promise<UploadSession>;
  get(id: UploadId): Promise<UploadSession | undefined>;
  /** Moves the offset from `from` to `to`; false (and no change) when the offset was not `from`. */
  advance(id: UploadId, from: number, to: number): Promise<boolean>;
  /** Idempotent. */
  delete(id: UploadId): Promise<void>;
  /** Sessions not updated since `before`. */
  stale(before: number): Promise<UploadSession[]>;
}

/** What garbage collection may remove; each sweep re-checks its conditions as it deletes. */
export interface GarbageIndex {
  /**
   * Manifests that name a subject absent from their repository, are untagged and older than
   * `before`: referrers live as long as their subject. `apply` deletes them.
   */
  orphanReferrers(before: number, apply: boolean): Promise<{ repo: RepoName; digest: Digest }[]>;
  /** Links no manifest of their repository references, last used before `before`. */
  unusedLinks(before: number, apply: boolean): Promise<{ repo: RepoName; digest: Digest }[]>;
  /** Blobs linked nowhere and last seen before `before`; `apply` deletes their rows. */
  unlinkedBlobs(before: number, apply: boolean): Promise<Digest[]>;
  /** Whether a blob row exists (after a sweep, to decide whether its bytes may go). */
  isKnown(digest: Digest): Promise<boolean>;
}

/** TUF metadata per GUN: every version of every role, kept until the GUN's trust data is deleted. */
export interface TrustDocs {
  /**
   * Stores the documents of one publish (or one read-time re-signing) atomically. Each version must
   * be greater than every stored version of its role, else WharfError('TRUST_VERSION', detail {}) and nothing
   * is written; two concurrent publishers to one GUN (also on other nodes) cannot both succeed.
   * Appends one 'update' changefeed record per timestamp document stored.
   */
  putMany(gun: Gun, docs: readonly NewTrustDoc[]): Promise<void>;
  /** The highest stored version of the role. */
  latest(gun: Gun, role: TufRole): Promise<TrustDoc | undefined>;
  byVersion(gun: Gun, role: TufRole, version: number): Promise<TrustDoc | undefined>;
  /** Lookup by (gun, role, sha256) of the exact bytes; a checksum of another role's file is not found. */
  byChecksum(gun: Gun, role: TufRole, sha256Hex: string): Promise<TrustDoc | undefined>;
  /** Deletes every version of every role (exact GUN match); true, and a 'deletion' record, when something was deleted. */
  deleteGun(gun: Gun): Promise<boolean>;
  /**
   * Changefeed (spec section 9): with `records` > 0 the records after `changeId`, else the |records|
   * records before it (`changeId` -1: the newest); always oldest first. `gun` undefined: all GUNs.
   * `records` 0 means 100 (DEFAULT_CHANGE_RECORDS; the store applies it, as the reference's
   * handler does); a negative `changeId` reads backwards from the newest, as the reference does.
   * The caller bounds |records|.
   */
  changes(query: { gun?: Gun; changeId: number; records: number }): Promise<TrustChange[]>;
  /** GUNs with stored trust data, in byte order. */
  guns(): Promise<Gun[]>;
}

/** Server-held snapshot and timestamp keys (spec 7.4, E7, E8). */
export interface ServerKeys {
  /**
   * Every unretired key of (gun, role), oldest first. Records come back with `isPending` and
   * `createdAt` as the store set them (pending/rotate ignore those fields of the records given).
   */
  list(gun: Gun, role: ServerRole): Promise<ServerKeyRecord[]>;
  /**
   * The pending key of (gun, role), creating it from `make()` when there is none. Idempotent and
   * race-free: concurrent callers (also on other nodes) all get the same key.
   */
  pending(gun: Gun, role: ServerRole, make: () => Promise<ServerKeyRecord>): Promise<ServerKeyRecord>;
  /**
   * Rotation, in one transaction: the current pending key stops being pending (stays usable) and
   * `record` becomes pending. Concurrent rotations all land; the last one is pending.
   */
  rotate(gun: Gun, role: ServerRole, record: ServerKeyRecord): Promise<void>;
  /** After the GUN's trust data is deleted: its keys are retired (never listed or used again) and their private keys erased. */
  retireGun(gun: Gun): Promise<void>;
}

/**
 * Identity storage (shared/specs/access-and-policy.md sections 1.2, 1.4, 2, 3, 4). Stores only:
 * callers validate role names, scope strings, repository patterns and actions (src/auth), hash
 * and seal secrets (src/auth/secrets.ts, KeyVault), and generate ids. The stores validate what
 * keeps their own data consistent: login-name grammar and uniqueness across kinds, references to
 * existing scope maps and principals, read-only system scope maps.
 *
 * Login names (user principal names, service principal appIds, scoped-token names, the registry
 * name of the admin account, and the reserved null GUID) share one namespace, compared
 * case-insensitively: creating anything whose name is taken by any kind fails with
 * WharfError('CONFLICT', detail { name, kind }) and writes nothing. So username resolution (1.2)
 * never meets two candidates.
 *
 * Every change that must end refresh tokens (password change, disable, credential removal,
 * deletion) bumps the principal's credential version in the same transaction.
 * Absent records are `undefined` / `false`; times are milliseconds since the epoch.
 */
export interface AccessRecords {
  readonly logins: LoginNames;
  readonly credentialVersions: CredentialVersions;
  readonly users: UserStore;
  readonly servicePrincipals: ServicePrincipalStore;
  readonly admin: AdminAccountStore;
  readonly tokens: ScopedTokenStore;
  readonly scopeMaps: ScopeMapStore;
  readonly roleAssignments: RoleAssignmentStore;
  readonly signingKeys: SigningKeyStore;
}

/** Kinds of login name, in the resolution order of 1.2 ('reserved' is the null GUID). */
export type LoginKind = 'reserved' | 'admin' | 'token' | 'servicePrincipal' | 'user';

export interface LoginNames {
  /**
   * What a Basic-auth user name names, compared case-insensitively: the kind and the owner's id
   * (objectId of a user, service principal or token; the username of the admin account).
   */
  resolve(username: string): Promise<{ kind: LoginKind; id: string } | undefined>;
}

export interface CredentialVersions {
  /** The principal's credential version: 0 until first bumped. Refresh tokens carry it. */
  current(principalId: string): Promise<number>;
  /** Increments and returns the version (the stores already bump on every revoking change). Atomic. */
  bump(principalId: string): Promise<number>;
}

export interface UserRecord {
  /** GUID. */
  objectId: string;
  /** Login name: 1–256 characters, no ':' and no control characters. */
  userPrincipalName: string;
  displayName: string;
  /** scrypt hash (secrets.ts hashPassword). */
  passwordHash: string;
  isEnabled: boolean;
  createdAt: number;
}

export type NewUser = Omit<UserRecord, 'createdAt'>;

export interface UserStore {
  /**
   * Stores a user; the store sets createdAt. INVALID_REQUEST for a malformed userPrincipalName;
   * CONFLICT when the objectId or the name (any login kind) is taken. Nothing written on failure.
   */
  create(user: NewUser): Promise<UserRecord>;
  get(objectId: string): Promise<UserRecord | undefined>;
  /** Lookup by userPrincipalName, case-insensitive. */
  byName(userPrincipalName: string): Promise<UserRecord | undefined>;
  /** Every user, by userPrincipalName. */
  list(): Promise<UserRecord[]>;
  /**
   * Changes the given fields; undefined when the user does not exist. A new passwordHash, or
   * isEnabled false, bumps the credential version.
   */
  update(objectId: string, change: Partial<Pick<UserRecord, 'displayName' | 'passwordHash' | 'isEnabled'>>): Promise<UserRecord | undefined>;
  /** Deletes the user, its role assignments and its login name; bumps the credential version. */
  delete(objectId: string): Promise<boolean>;
}

/** A service principal secret (2): shown once, stored hashed. */
export interface PasswordCredentialRecord {
  /** GUID. */
  keyId: string;
  displayName: string;
  /** scrypt hash of the secret. */
  hash: string;
  /** First characters of the secret [ACR]. */
  hint: string;
  startsAt: number;
  endsAt: number;
}

export interface ServicePrincipalRecord {
  /** GUID, the login name. */
  appId: string;
  /** GUID, different from appId; the principalId of role assignments. */
  objectId: string;
  displayName: string;
  /** `[appId, <name>]` as given at creation. */
  servicePrincipalNames: string[];
  isEnabled: boolean;
  createdAt: number;
  /** By startsAt, then keyId. */
  passwordCredentials: PasswordCredentialRecord[];
}

export type NewServicePrincipal = Omit<ServicePrincipalRecord, 'createdAt'>;

export interface ServicePrincipalStore {
  /** Stores it with its credentials. CONFLICT when objectId, appId (any login kind) or a keyId is taken. */
  create(sp: NewServicePrincipal): Promise<ServicePrincipalRecord>;
  get(objectId: string): Promise<ServicePrincipalRecord | undefined>;
  /** Lookup by appId, case-insensitive. */
  byAppId(appId: string): Promise<ServicePrincipalRecord | undefined>;
  /** Every service principal, by displayName then appId. */
  list(): Promise<ServicePrincipalRecord[]>;
  /** Changes the given fields; undefined when absent. isEnabled false bumps the credential version. */
  update(objectId: string, change: Partial<Pick<ServicePrincipalRecord, 'displayName' | 'isEnabled'>>): Promise<ServicePrincipalRecord | undefined>;
  /** Adds a secret; false when the service principal is absent; CONFLICT when the keyId exists. */
  addPassword(objectId: string, credential: PasswordCredentialRecord): Promise<boolean>;
  /** Removes a secret and bumps the credential version; false when there was none. */
  removePassword(objectId: string, keyId: string): Promise<boolean>;
  /** Deletes it, its credentials, role assignments and login name; bumps the credential version. */
  delete(objectId: string): Promise<boolean>;
}

export type AdminPasswordName = 'password' | 'password2';

/**
 * The registry's admin account (2). Its passwords are sealed with the KeyVault (aad
 * secrets.ts adminPasswordAad), not hashed: `wharf credential show` displays them again [ACR].
 * Verification opens them and compares in constant time.
 */
export interface AdminAccountRecord {
  /** The registry name: the login name and the principal id of its credential version. */
  username: string;
  isEnabled: boolean;
  sealedPassword: Buffer;
  sealedPassword2: Buffer;
  createdAt: number;
  updatedAt: number;
}

export interface AdminAccountStore {
  get(): Promise<AdminAccountRecord | undefined>;
  /**
   * The admin account, created disabled from `make()` when there is none (reserving the registry
   * name as a login name: CONFLICT when another kind holds it). Race-free: concurrent callers get
   * one account. An existing account is returned as it is, whatever `username` says.
   */
  ensure(username: string, make: () => Promise<{ sealedPassword: Buffer; sealedPassword2: Buffer }>): Promise<AdminAccountRecord>;
  /** Enables or disables it; disabling bumps the credential version. undefined when absent. */
  setEnabled(isEnabled: boolean): Promise<AdminAccountRecord | undefined>;
  /** Replaces one sealed password and bumps the credential version. undefined when absent. */
  setPassword(name: AdminPasswordName, sealed: Buffer): Promise<AdminAccountRecord | undefined>;
}

export interface TokenPassword {
  /** scrypt hash of the value shown once. */
  hash: string;
  createdAt: number;
  /** No expiry when absent (displayed as 9999-12-31T23:59:59.999999+00:00 [ACR]). */
  expiresAt?: number;
}

export type TokenStatus = 'enabled' | 'disabled';
export type TokenPasswordName = 'password1' | 'password2';

export interface ScopedTokenRecord {
  /** 5–50 characters of [A-Za-z0-9_-]; the login name. */
  name: string;
  /** GUID. */
  objectId: string;
  scopeMapName: string;
  status: TokenStatus;
  createdAt: number;
  password1?: TokenPassword;
  password2?: TokenPassword;
}

export type NewScopedToken = Omit<ScopedTokenRecord, 'createdAt'>;

export interface ScopedTokenStore {
  /**
   * INVALID_REQUEST for a malformed name; CONFLICT when the name (any login kind) or objectId is
   * taken; NOT_FOUND_RESOURCE when the scope map does not exist. Nothing written on failure.
   */
  create(token: NewScopedToken): Promise<ScopedTokenRecord>;
  /** Lookup by name, case-insensitive. */
  get(name: string): Promise<ScopedTokenRecord | undefined>;
  /** Every token, by name. */
  list(): Promise<ScopedTokenRecord[]>;
  /**
   * Changes scope map and/or status; undefined when absent; NOT_FOUND_RESOURCE for a missing
   * scope map. Disabling bumps the credential version.
   */
  update(name: string, change: { scopeMapName?: string; status?: TokenStatus }): Promise<ScopedTokenRecord | undefined>;
  /** Sets (generate) or clears (delete) one password, effective at once; bumps the credential version. */
  setPassword(name: string, slot: TokenPasswordName, password: TokenPassword | undefined): Promise<ScopedTokenRecord | undefined>;
  /** Deletes the token and its login name; bumps the credential version. */
  delete(name: string): Promise<boolean>;
}

/**
 * A stored scope-map rule: actions on the repositories `pattern` covers (exact name, `*`, or
 * `prefix/*`; 4). Kept as text; src/auth/scope-maps.ts parses it into its ScopeMapRule.
 */
export interface ScopeMapRuleRecord {
  pattern: string;
  actions: string[];
}

export interface ScopeMapRecord {
  name: string;
  description: string;
  type: 'SystemDefined' | 'UserDefined';
  rules: ScopeMapRuleRecord[];
  createdAt: number;
}

export interface ScopeMapStore {
  /**
   * Stores a UserDefined map. Names are 5–60 characters of [A-Za-z0-9_-], not starting with `_`
   * (system names), description ≤ 256 characters, else INVALID_REQUEST; CONFLICT when the name
   * is taken (case-insensitive). Rules are stored as given (the caller validates them).
   */
  create(map: { name: string; description: string; rules: ScopeMapRuleRecord[] }): Promise<ScopeMapRecord>;
  /** Lookup by name, case-insensitive. */
  get(name: string): Promise<ScopeMapRecord | undefined>;
  /** System maps (seeded by the 003-access migration) and user maps, by name in byte order. */
  list(): Promise<ScopeMapRecord[]>;
  /** Replaces description and/or rules; undefined when absent; INVALID_REQUEST for a system map. */
  update(name: string, change: { description?: string; rules?: ScopeMapRuleRecord[] }): Promise<ScopeMapRecord | undefined>;
  /** INVALID_REQUEST for a system map; CONFLICT while a token uses it. */
  delete(name: string): Promise<boolean>;
}

export type PrincipalType = 'User' | 'ServicePrincipal';

export interface RoleAssignmentRecord {
  /** GUID. */
  id: string;
  /** objectId of the user or service principal. */
  principalId: string;
  principalType: PrincipalType;
  /** Role definition GUID (3). */
  roleDefinitionId: string;
  roleName: string;
  /** `<registryId>` or `<registryId>/repositories/<pattern>`, stored exactly as given. */
  scope: string;
  createdBy?: string;
  createdAt: number;
}

export type NewRoleAssignment = Omit<RoleAssignmentRecord, 'createdAt'>;

export interface RoleAssignmentStore {
  /**
   * NOT_FOUND_RESOURCE when no principal of `principalType` has `principalId`; CONFLICT when the id
   * exists or the same (principal, role definition, scope) is already assigned.
   */
  create(assignment: NewRoleAssignment): Promise<RoleAssignmentRecord>;
  get(id: string): Promise<RoleAssignmentRecord | undefined>;
  delete(id: string): Promise<boolean>;
  /** Every assignment of the principal at any scope, by scope then id. */
  byPrincipal(principalId: string): Promise<RoleAssignmentRecord[]>;
  /** Assignments exactly at `scope`, by createdAt then id. */
  byScope(scope: string): Promise<RoleAssignmentRecord[]>;
  /** Every assignment, by scope then id. */
  list(): Promise<RoleAssignmentRecord[]>;
}

export interface SigningKeyRecord {
  kid: string;
  alg: 'ES256' | 'RS256';
  /** SPKI PEM. */
  publicKey: string;
  /** KeyVault-sealed PKCS#8 DER private key (aad secrets.ts signingKeyAad). */
  sealedPrivateKey: Buffer;
  createdAt: number;
  /** The key that signs new tokens (at most one). */
  isPrimary: boolean;
  /** Retired keys neither sign nor verify. */
  isRetired: boolean;
}

/** JWT signing keys of the token service (1.4). */
export interface SigningKeyStore {
  /**
   * The primary key, created from `make()` when there is none. Race-free: concurrent callers
   * (also on other nodes) all get the same key. The store sets createdAt, isPrimary, isRetired.
   */
  primary(make: () => Promise<SigningKeyRecord>): Promise<SigningKeyRecord>;
  /** In one transaction the primary stops signing (still verifies) and `record` becomes primary. */
  rotate(record: SigningKeyRecord): Promise<SigningKeyRecord>;
  /** Any key, retired or not (the verifier checks isRetired). */
  get(kid: string): Promise<SigningKeyRecord | undefined>;
  /** Unretired keys, oldest first (what verifies tokens). */
  list(): Promise<SigningKeyRecord[]>;
  /** Retires the key (also a primary one); false when absent. Idempotent otherwise. */
  retire(kid: string): Promise<boolean>;
}

/**
 * The registry resource itself (shared/specs/access-and-policy.md 7, `wharf show`): one row per
 * installation, made at first start. `installationId` and `name` never change afterwards (they
 * are in every resource id); `anonymousPullEnabled` and `trustPolicy` are settings.
 */
export interface RegistrySettingsRecord {
  /** GUID: the `<subscription>` segment of resource ids and the service principals' `tenant`. */
  installationId: string;
  /** The registry name (config `registry.name` at first start): the admin account's login name. */
  name: string;
  anonymousPullEnabled: boolean;
  /** JSON text of `policies.trustPolicy`; undefined until the registry's trust policy is first set. */
  trustPolicy?: string;
  createdAt: number;
  updatedAt: number;
}

export type RegistrySettingsChange = Partial<Pick<RegistrySettingsRecord, 'anonymousPullEnabled' | 'trustPolicy'>>;

export interface RegistrySettingsStore {
  get(): Promise<RegistrySettingsRecord | undefined>;
  /**
   * The record, created from `initial` when there is none (the store sets the times). Race-free:
   * concurrent first starts (also on other nodes) all get the one record; an existing record is
   * returned as it is, whatever `initial` says.
   */
  ensure(initial: Pick<RegistrySettingsRecord, 'installationId' | 'name' | 'anonymousPullEnabled'>): Promise<RegistrySettingsRecord>;
  /** Changes the given settings and updatedAt; undefined when there is no record yet. */
  update(change: RegistrySettingsChange): Promise<RegistrySettingsRecord | undefined>;
}

/** What happened, as a caller reports it; the audit log adds sequence, time and hashes. */
export interface NewAuditEvent {
  /** Dotted verb, e.g. `image.pushed`, `role.assigned` (docs/audit.md lists them). */
  action: string;
  /** Login name of who did it; '' for anonymous, `wharf` for the registry itself. */
  actor: string;
  /** The repository concerned, '' when none. */
  repository: string;
  /** What it was done to (a digest, tag, name or id), '' when none. */
  subject: string;
  /** Action-specific facts: strings, integers, booleans, arrays and objects of those. Never a secret. */
  detail: Record<string, unknown>;
  /** When it happened (ms); the log keeps it as given. */
  time: number;
}

/** One audit record: `hash` is sha256 over the canonical JSON of every other field (docs/audit.md). */
export interface AuditRecord extends NewAuditEvent {
  /** 1, 2, 3… without gaps. */
  seq: number;
  /** Hex hash of the previous record; 64 zeros for the first. */
  prevHash: string;
  hash: string;
}

export interface AuditQuery {
  /** Exact action, or a prefix ending in '.' (`image.`). */
  action?: string;
  repository?: string;
  actor?: string;
  /** Inclusive bounds on `time` (ms). */
  since?: number;
  until?: number;
  /** Only records with seq below this one (paging backwards). */
  beforeSeq?: number;
  limit: number;
}

/**
 * The append-only audit log. Appends are serialized across every node sharing the database (a
 * lock on the chain head inside the append transaction), so the chain stays linear. The store
 * computes seq, prevHash and hash (hashAuditRecord) itself.
 */
export interface AuditLog {
  /**
   * Appends the events in order, and in the same transaction the webhook deliveries `fanOut`
   * returns for each new record (so no delivery is lost or made for a record that is not stored).
   */
  append(events: readonly NewAuditEvent[], fanOut?: (record: AuditRecord) => NewWebhookDelivery[]): Promise<AuditRecord[]>;
  /** Matching records, newest first. */
  query(query: AuditQuery): Promise<AuditRecord[]>;
  /** Up to `limit` records with seq greater than `afterSeq`, oldest first (for verification). */
  range(afterSeq: number, limit: number): Promise<AuditRecord[]>;
  /** The chain head: the last appended record's seq and hash; seq 0 before the first append. */
  head(): Promise<{ seq: number; hash: string }>;
}

export type WebhookStatus = 'enabled' | 'disabled';

export interface WebhookRecord {
  /** 5–50 letters and digits (az acr webhook), unique case-insensitively. */
  name: string;
  uri: string;
  /** Webhook actions (push, delete, sign, revoke, policy, pull_refused). */
  actions: string[];
  /** Repository pattern (`repo`, `prefix/*`, `*`); '' means every event, also those of no repository. */
  scope: string;
  status: WebhookStatus;
  /** KeyVault-sealed HMAC secret (aad `webhook-secret:<name>`). */
  sealedSecret: Buffer;
  /** KeyVault-sealed JSON object of custom headers (aad `webhook-headers:<name>`); undefined when none. */
  sealedHeaders?: Buffer;
  createdAt: number;
  updatedAt: number;
}

export type NewWebhook = Omit<WebhookRecord, 'createdAt' | 'updatedAt'>;

/** The fields a webhook update sets; absent ones stay. `sealedHeaders: null` removes the custom headers. */
export type WebhookChange = Partial<Pick<WebhookRecord, 'uri' | 'actions' | 'scope' | 'status' | 'sealedSecret'>> & { sealedHeaders?: Buffer | null };

export interface NewWebhookDelivery {
  webhook: string;
  /** CloudEvents id. */
  eventId: string;
  /** CloudEvents type. */
  eventType: string;
  /** The exact JSON body sent on every attempt. */
  payload: string;
}

/** One HTTP attempt: the status code the receiver answered, or the error when there was none. */
export interface DeliveryAttempt {
  at: number;
  ms: number;
  statusCode?: number;
  error?: string;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface WebhookDelivery extends NewWebhookDelivery {
  id: number;
  status: DeliveryStatus;
  attempts: DeliveryAttempt[];
  /** When a pending delivery is due (or its current claim expires). */
  nextAttemptAt: number;
  createdAt: number;
  updatedAt: number;
}

export interface WebhookStore {
  /** CONFLICT when the name is taken (case-insensitive). */
  create(webhook: NewWebhook): Promise<WebhookRecord>;
  /** Lookup by name, case-insensitive. */
  get(name: string): Promise<WebhookRecord | undefined>;
  /** Every webhook, by name. */
  list(): Promise<WebhookRecord[]>;
  /** Sets the given fields (name case-insensitive), in one statement; undefined when absent. */
  update(name: string, change: WebhookChange): Promise<WebhookRecord | undefined>;
  /** Deletes it and its deliveries; false when absent. */
  delete(name: string): Promise<boolean>;
  /** Queues a delivery outside an audit append (ping); due at once. */
  enqueue(delivery: NewWebhookDelivery): Promise<WebhookDelivery>;
  /**
   * Claims up to `limit` pending deliveries due at `now`, pushing their nextAttemptAt to
   * `now + leaseMs` so that no other node takes them meanwhile (a claim of a node that dies
   * expires). Oldest first.
   */
  claim(now: number, leaseMs: number, limit: number): Promise<WebhookDelivery[]>;
  /** Appends an attempt and sets the outcome: delivered, failed (no more attempts), or pending again at `nextAttemptAt`. */
  settle(id: number, attempt: DeliveryAttempt, outcome: { status: DeliveryStatus; nextAttemptAt?: number }): Promise<void>;
  /** The webhook's deliveries, newest first. */
  deliveries(webhook: string, limit: number): Promise<WebhookDelivery[]>;
}

export type ImportOperationStatus = 'InProgress' | 'Succeeded' | 'Failed';

/** Counts an import shows; they only increase while it runs. */
export interface ImportProgressRecord {
  manifests: number;
  blobsCopied: number;
  blobsSkipped: number;
  bytesCopied: number;
}

export interface ImportOperationRecord {
  /** GUID. */
  id: string;
  /** objectId of the principal that started it. */
  ownerId: string;
  /** `host/repo:tag@digest` as imported (never credentials). */
  source: string;
  /** `repo:tag`, or `repo` for an untagged target. */
  targets: string[];
  /** The process that runs (or ran) it. */
  node: string;
  status: ImportOperationStatus;
  error?: { code: string; message: string };
  progress: ImportProgressRecord;
  startedAt: number;
  /** The running process's last write (progress or heartbeat). */
  heartbeatAt: number;
  endedAt?: number;
}

export type NewImportOperation = Pick<ImportOperationRecord, 'id' | 'ownerId' | 'source' | 'targets' | 'node' | 'startedAt'>;

/**
 * Import operations, shared by every node. Only the node that runs an operation writes its
 * progress and end; any node may end operations whose process is gone (`interrupt`). An ended
 * operation never changes again, so a late write of the runner cannot revive it.
 */
export interface ImportOperationStore {
  /** Stores it InProgress with zero progress, heartbeatAt = startedAt; CONFLICT when the id exists. */
  create(op: NewImportOperation): Promise<ImportOperationRecord>;
  get(id: string): Promise<ImportOperationRecord | undefined>;
  /** Sets progress and heartbeatAt `at` while it is InProgress; false (nothing changed) once it ended or when absent. */
  progress(id: string, progress: ImportProgressRecord, at: number): Promise<boolean>;
  /** Ends it with its final progress; false (nothing changed) when it had ended already or is absent. */
  finish(id: string, end: { status: 'Succeeded' | 'Failed'; error?: { code: string; message: string }; progress: ImportProgressRecord; at: number }): Promise<boolean>;
  /**
   * Ends as Failed with `error` (endedAt `at`) every InProgress operation run by `on.node` or whose
   * heartbeat is older than `on.heartbeatBefore`, in one statement; returns their ids.
   */
  interrupt(on: { node?: string; heartbeatBefore: number }, error: { code: string; message: string }, at: number): Promise<string[]>;
  /** Deletes operations that ended before `before`; returns how many. InProgress ones stay. */
  prune(before: number): Promise<number>;
}
