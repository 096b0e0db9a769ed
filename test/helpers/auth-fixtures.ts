import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { SignJWT, type JWTPayload } from 'jose';
import { Agent, fetch as undiciFetch, type RequestInit, type Response } from 'undici';
import { TokenKeys } from '../../src/auth/token-keys.ts';
import { ROLES, type RoleName } from '../../src/auth/roles.ts';
import { adminPasswordAad, hashPassword, newGuid } from '../../src/auth/secrets.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { MetadataStore, ScopeMapRuleRecord } from '../../src/storage/metadata-store.ts';
import { openSqlMetadataStore } from '../../src/storage/sql/open.ts';
import { KeyVault } from '../../src/trust/key-vault.ts';
import type { Registry } from './oci.ts';
import type { WharfInstance } from './wharf.ts';

export const NULL_GUID_USER = '00000000-0000-0000-0000-000000000000';

/** The owner password startWharf configures by default (wharf.ts TEST_OWNER_PASSWORD). */
export const OWNER_PASSWORD = 'wharf-test-owner-password';
/**
 * The environment of an authenticated registry with the trust API on (content trust policy
 * `enabled` at first start), whose owner logs in with OWNER_PASSWORD.
 */
export const AUTH_ENV: Readonly<Record<string, string>> = {
  WHARF_AUTH__ENABLED: 'true', WHARF_AUTH__OWNER_PASSWORD: OWNER_PASSWORD, WHARF_TRUST__POLICY: 'enabled',
};

export const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
export const OWNER = basic('owner', OWNER_PASSWORD);

/** The registry seen through one Authorization header (anonymous requests: SourceAddress). */
export function as(wharf: WharfInstance, authorization: string): Registry {
  return {
    url: wharf.url,
    fetch: (path: string, init: RequestInit = {}) =>
      wharf.fetch(path, { ...init, headers: { ...(init.headers as Record<string, string> | undefined), authorization } }),
  };
}

/**
 * Requests to the instance from another loopback source address (127.0.0.0/8 all reaches it on
 * Linux), so that per-source state such as the failure backoff is the test's own.
 */
export class SourceAddress {
  readonly #agent: Agent;

  constructor(private readonly wharf: WharfInstance, readonly address: string) {
    const ca = wharf.caFile === undefined ? undefined : readFileSync(wharf.caFile, 'utf8');
    this.#agent = new Agent({ localAddress: address, ...(ca === undefined ? {} : { connect: { ca } }) });
  }

  /** The registry seen from this address through one Authorization header (none: anonymous). */
  as(authorization?: string): Registry & { host: string; output(): string; stop(): Promise<void> } {
    const { wharf } = this;
    return {
      url: wharf.url,
      host: wharf.host,
      output: () => wharf.output(),
      stop: async () => {},
      fetch: (path: string, init: RequestInit = {}) => {
        const headers = { ...(init.headers as Record<string, string> | undefined) };
        if (authorization !== undefined) headers['authorization'] = authorization;
        return undiciFetch(wharf.url + path, { ...init, headers, dispatcher: this.#agent });
      },
    };
  }

  close(): Promise<void> {
    return this.#agent.close();
  }
}

/** GET /oauth2/token with Basic credentials: the access token (asserting 200). */
export async function tokenFor(wharf: WharfInstance, authorization: string, scopes: readonly string[]): Promise<string> {
  const res = await requestToken(wharf, authorization, scopes);
  const text = await res.text();
  assert.equal(res.status, 200, text);
  return (JSON.parse(text) as { token: string }).token;
}

export function requestToken(wharf: WharfInstance, authorization: string, scopes: readonly string[]): Promise<Response> {
  return wharf.fetch(tokenPath(wharf, scopes), { headers: { authorization } });
}

/** `/oauth2/token?service=<host>&scope=…` */
export function tokenPath(wharf: WharfInstance, scopes: readonly string[]): string {
  const query = new URLSearchParams({ service: wharf.host });
  for (const s of scopes) query.append('scope', s);
  return `/oauth2/token?${query}`;
}

/** POST /oauth2/token with a form (fields repeated for arrays). */
export function postToken(wharf: WharfInstance, form: Record<string, string | readonly string[]>): Promise<Response> {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(form)) for (const value of [v].flat()) body.append(k, value);
  return wharf.fetch('/oauth2/token', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: body.toString() });
}

/**
 * Seeds users, role assignments, scoped tokens and the admin account straight into the store the
 * running Wharf uses (its data directory, or the PostgreSQL URL it was started with), the way the
 * management API would. TODO(#4): switch to the /api routes once they land; the behaviour under
 * test is still the HTTP one, since Wharf reads these records afresh at every token and Basic check.
 */
export class AccessSeed {
  private constructor(
    private readonly metadata: MetadataStore,
    private readonly vault: KeyVault,
    /** The registry's resource id, as the bootstrap scoped the owner's Owner assignment. */
    readonly registryId: string,
  ) {}

  static async open(wharf: WharfInstance): Promise<AccessSeed> {
    const args = wharf.process.spawnargs;
    const at = args.indexOf('--metadata');
    const url = at >= 0 ? args[at + 1]! : 'sqlite';
    const config = loadConfig({ env: {}, flags: { data: wharf.dataDir, metadata: url } });
    const metadata = await openSqlMetadataStore(config.metadata, { dataDir: config.data });
    try {
      const owner = await metadata.access.users.byName('owner');
      assert.ok(owner, 'the owner user is bootstrapped at the first start with auth enabled');
      const [assignment] = await metadata.access.roleAssignments.byPrincipal(owner.objectId);
      assert.ok(assignment);
      return new AccessSeed(metadata, await KeyVault.load(config), assignment.scope);
    } catch (err) {
      await metadata.close();
      throw err;
    }
  }

  /** A role assignment scope: the registry, or repositories matching `pattern` (`app`, `team/*`). */
  scope(pattern?: string): string {
    return pattern === undefined ? this.registryId : `${this.registryId}/repositories/${pattern}`;
  }

  /** An enabled user with the given roles (at registry scope unless a repository pattern is given); its objectId. */
  async user(name: string, password: string, roles: readonly { role: RoleName; pattern?: string }[] = []): Promise<string> {
    const objectId = newGuid();
    await this.metadata.access.users.create({ objectId, userPrincipalName: name, displayName: name, passwordHash: await hashPassword(password), isEnabled: true });
    for (const { role, pattern } of roles) {
      await this.metadata.access.roleAssignments.create({
        id: newGuid(), principalId: objectId, principalType: 'User', roleDefinitionId: ROLES[role].id, roleName: role, scope: this.scope(pattern),
      });
    }
    return objectId;
  }

  async setUserPassword(name: string, password: string): Promise<void> {
    const user = await this.metadata.access.users.byName(name);
    assert.ok(user);
    await this.metadata.access.users.update(user.objectId, { passwordHash: await hashPassword(password) });
  }

  async setUserEnabled(name: string, isEnabled: boolean): Promise<void> {
    const user = await this.metadata.access.users.byName(name);
    assert.ok(user);
    await this.metadata.access.users.update(user.objectId, { isEnabled });
  }

  /** A scoped token with password1 = `password` on a system scope map (`_repositories_push`) or its own rules. */
  async scopedToken(name: string, password: string, map: string | readonly ScopeMapRuleRecord[]): Promise<void> {
    let scopeMapName: string;
    if (typeof map === 'string') {
      scopeMapName = map;
    } else {
      scopeMapName = `${name}-scope-map`;
      await this.metadata.access.scopeMaps.create({ name: scopeMapName, description: '', rules: [...map] });
    }
    await this.metadata.access.tokens.create({
      name, objectId: newGuid(), scopeMapName, status: 'enabled', password1: { hash: await hashPassword(password), createdAt: Date.now() },
    });
  }

  async setTokenStatus(name: string, status: 'enabled' | 'disabled'): Promise<void> {
    assert.ok(await this.metadata.access.tokens.update(name, { status }));
  }

  /** Enables the admin account; its user name and first password. */
  async enableAdmin(): Promise<{ username: string; password: string }> {
    const account = await this.metadata.access.admin.setEnabled(true);
    assert.ok(account);
    const password = this.vault.open(account.sealedPassword, adminPasswordAad(account.username, 'password')).toString('utf8');
    return { username: account.username, password };
  }

  /**
   * Signs `claims` as given with the server's own token key (ES256 and its kid), for tokens only a
   * bug or a stolen key could make (expired, other audience, other issuer); also its public key PEM.
   */
  async serverKey(): Promise<{ kid: string; publicKeyPem: string; sign(claims: JWTPayload): Promise<string> }> {
    const { kid, privateKey } = await new TokenKeys(this.metadata.access.signingKeys, this.vault).signingKey();
    const record = await this.metadata.access.signingKeys.get(kid);
    assert.ok(record);
    return {
      kid,
      publicKeyPem: record.publicKey,
      sign: (claims) => new SignJWT(claims).setProtectedHeader({ typ: 'JWT', alg: 'ES256', kid }).sign(privateKey),
    };
  }

  close(): Promise<void> {
    return this.metadata.close();
  }
}
