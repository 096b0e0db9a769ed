import { createHash, timingSafeEqual } from 'node:crypto';
import type { AccessRecords, AdminPasswordName, ScopedTokenRecord, ServicePrincipalRecord } from '../storage/metadata-store.ts';
import type { KeyVault } from '../trust/key-vault.ts';
import { adminPasswordAad, burnPasswordCheck, NULL_GUID, verifyPassword } from './secrets.ts';

/** An authenticated caller (shared/specs/access-and-policy.md 2). */
export interface Principal {
  readonly kind: 'user' | 'servicePrincipal' | 'admin' | 'scoped-token';
  /** objectId of a user, service principal or scoped token; the registry name for the admin account. */
  readonly id: string;
  /** The login name: userPrincipalName, appId, registry name or token name. */
  readonly name: string;
  /** The principal's credential version when the credential was checked (refresh tokens carry it). */
  readonly credentialVersion: number;
  /** The credential used: a service principal secret's keyId; the id otherwise. */
  readonly credentialId: string;
  /** How the caller proved it: a password/secret, or a Wharf refresh token (null-GUID user name). */
  readonly via: 'password' | 'refresh_token';
}

/**
 * Why credentials were refused; every one is a 401 UNAUTHORIZED to the client (never tell which):
 * the reason is for logs. `disabled` and `expired` are only reported after the secret matched.
 */
export type AuthFailureReason = 'unknown_name' | 'bad_credentials' | 'disabled' | 'expired' | 'invalid_refresh_token' | 'revoked';

export type AuthResult = { ok: true; principal: Principal } | { ok: false; reason: AuthFailureReason };

/** What a verified refresh token says (TokenService.verifyRefreshToken). */
export interface RefreshClaims {
  readonly subject: string;
  readonly principalKind: 'user' | 'servicePrincipal';
  readonly credentialId: string;
  readonly credentialVersion: number;
}

export interface RefreshTokenVerifier {
  verifyRefreshToken(jwt: string, expected: { service: string }): Promise<{ ok: true; claims: RefreshClaims } | { ok: false; reason: string }>;
}

export interface IdentityResolverDeps {
  readonly access: AccessRecords;
  readonly vault: KeyVault;
  readonly refreshTokens: RefreshTokenVerifier;
  /** Milliseconds since the epoch; tests move it. */
  readonly now?: () => number;
}

const fail = (reason: AuthFailureReason): AuthResult => ({ ok: false, reason });

/**
 * Basic credentials → principal, by the user-name resolution order of spec 1.2: null GUID → refresh
 * token; registry name → admin account; scoped-token name; service principal appId; user name.
 * The credential version is read before the secret is checked, so a password change racing a login
 * still ends the refresh token that login may get. Unknown names cost one scrypt check.
 */
export class IdentityResolver {
  readonly #d: IdentityResolverDeps;
  readonly #now: () => number;

  constructor(deps: IdentityResolverDeps) {
    this.#d = deps;
    this.#now = deps.now ?? Date.now;
  }

  /** Checks a user name and password; never throws for bad credentials (store failures do throw). */
  async authenticate(credentials: { username: string; password: string; service: string }): Promise<AuthResult> {
    const { username, password, service } = credentials;
    if (username === NULL_GUID) return this.fromRefreshToken(password, service);
    const login = await this.#d.access.logins.resolve(username);
    switch (login?.kind) {
      case 'reserved':
        return this.fromRefreshToken(password, service);
      case 'admin':
        return this.#admin(password);
      case 'token': {
        const token = await this.#d.access.tokens.get(username);
        return token ? this.#scopedToken(token, password) : this.#unknown(password);
      }
      case 'servicePrincipal': {
        const sp = await this.#d.access.servicePrincipals.get(login.id);
        return sp ? this.#servicePrincipal(sp, password) : this.#unknown(password);
      }
      case 'user':
        return this.#user(login.id, password);
      default:
        return this.#unknown(password);
    }
  }

  /**
   * A refresh token as a credential (null-GUID Basic login, POST refresh grant): valid signature and
   * audience, and its principal still exists, is enabled, has the same credential version and, for a
   * service principal, the same unexpired secret.
   */
  async fromRefreshToken(jwt: string, service: string): Promise<AuthResult> {
    const verified = await this.#d.refreshTokens.verifyRefreshToken(jwt, { service });
    if (!verified.ok) return fail('invalid_refresh_token');
    const { subject, principalKind, credentialId, credentialVersion } = verified.claims;
    const current = await this.#d.access.credentialVersions.current(subject);
    if (current !== credentialVersion) return fail('revoked');
    const base = { id: subject, credentialVersion, credentialId, via: 'refresh_token' } as const;
    if (principalKind === 'user') {
      const user = await this.#d.access.users.get(subject);
      if (!user?.isEnabled) return fail('revoked');
      return { ok: true, principal: { ...base, kind: 'user', name: user.userPrincipalName } };
    }
    const sp = await this.#d.access.servicePrincipals.get(subject);
    const now = this.#now();
    const secret = sp?.passwordCredentials.find((c) => c.keyId === credentialId);
    if (!sp?.isEnabled || !secret || secret.endsAt <= now) return fail('revoked');
    return { ok: true, principal: { ...base, kind: 'servicePrincipal', name: sp.appId } };
  }

  async #unknown(password: string): Promise<AuthResult> {
    await burnPasswordCheck(password);
    return fail('unknown_name');
  }

  /** Sealed, not hashed [ACR]: both slots are opened and compared in constant time, whichever matches. */
  async #admin(password: string): Promise<AuthResult> {
    const account = await this.#d.access.admin.get();
    if (!account) return fail('unknown_name');
    const version = await this.#d.access.credentialVersions.current(account.username);
    const given = digest(Buffer.from(password, 'utf8'));
    const slots: [AdminPasswordName, Buffer][] = [['password', account.sealedPassword], ['password2', account.sealedPassword2]];
    let matched = false;
    for (const [name, sealed] of slots) {
      const stored = digest(this.#d.vault.open(sealed, adminPasswordAad(account.username, name)));
      matched = timingSafeEqual(given, stored) || matched;
    }
    if (!matched) return fail('bad_credentials');
    if (!account.isEnabled) return fail('disabled');
    const principal: Principal = {
      kind: 'admin', id: account.username, name: account.username, credentialVersion: version, credentialId: account.username, via: 'password',
    };
    return { ok: true, principal };
  }

  async #scopedToken(token: ScopedTokenRecord, password: string): Promise<AuthResult> {
    const version = await this.#d.access.credentialVersions.current(token.objectId);
    const now = this.#now();
    let matched = false;
    let expired = false;
    if (!token.password1 && !token.password2) await burnPasswordCheck(password);
    for (const slot of [token.password1, token.password2]) {
      if (!slot || !(await verifyPassword(password, slot.hash))) continue;
      if (slot.expiresAt === undefined || slot.expiresAt > now) matched = true;
      else expired = true;
    }
    if (!matched) return fail(expired ? 'expired' : 'bad_credentials');
    if (token.status !== 'enabled') return fail('disabled');
    const principal: Principal = {
      kind: 'scoped-token', id: token.objectId, name: token.name, credentialVersion: version, credentialId: token.objectId, via: 'password',
    };
    return { ok: true, principal };
  }

  async #servicePrincipal(sp: ServicePrincipalRecord, password: string): Promise<AuthResult> {
    const version = await this.#d.access.credentialVersions.current(sp.objectId);
    const now = this.#now();
    const live = sp.passwordCredentials.filter((c) => c.startsAt <= now && now < c.endsAt);
    if (live.length === 0) {
      await burnPasswordCheck(password);
      return fail('bad_credentials');
    }
    let keyId: string | undefined;
    for (const secret of live) {
      if (await verifyPassword(password, secret.hash)) keyId ??= secret.keyId;
    }
    if (keyId === undefined) return fail('bad_credentials');
    if (!sp.isEnabled) return fail('disabled');
    const principal: Principal = {
      kind: 'servicePrincipal', id: sp.objectId, name: sp.appId, credentialVersion: version, credentialId: keyId, via: 'password',
    };
    return { ok: true, principal };
  }

  async #user(objectId: string, password: string): Promise<AuthResult> {
    const version = await this.#d.access.credentialVersions.current(objectId);
    const user = await this.#d.access.users.get(objectId);
    if (!user) return this.#unknown(password);
    if (!(await verifyPassword(password, user.passwordHash))) return fail('bad_credentials');
    if (!user.isEnabled) return fail('disabled');
    const principal: Principal = {
      kind: 'user', id: user.objectId, name: user.userPrincipalName, credentialVersion: version, credentialId: user.objectId, via: 'password',
    };
    return { ok: true, principal };
  }
}

/** Fixed-length digests, so that timingSafeEqual never sees different lengths. */
function digest(value: Buffer): Buffer {
  return createHash('sha256').update(value).digest();
}
