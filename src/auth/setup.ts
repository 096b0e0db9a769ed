import type { Config } from '../config/schema.ts';
import type { MetadataStore } from '../storage/metadata-store.ts';
import { GunPolicy } from '../trust/gun.ts';
import type { KeyVault } from '../trust/key-vault.ts';
import { bootstrapAuth, type BootstrapResult } from './bootstrap.ts';
import { AuthEvents, type AuthCounters } from './auth-events.ts';
import type { LoginServer } from './credentials.ts';
import { FailureBackoff } from './failure-backoff.ts';
import type { GrantContext } from './grant-facts.ts';
import { IdentityResolver } from './identity.ts';
import { TokenGate } from './token-gate.ts';
import { TokenKeys } from './token-keys.ts';
import type { TokenRouteDeps } from './token-routes.ts';
import { TokenService } from './token-service.ts';

/** `iss` of every token Wharf signs. */
export const TOKEN_ISSUER = 'wharf';

/** The registry resource (src/api/registry-settings.ts RegistrySettings). */
export interface RegistryRef {
  /** The registry name: the admin account's login name (spec 2). */
  readonly name: string;
  /** `<registryId>`, the scope of registry-wide role assignments. */
  readonly id: string;
  /** The stored setting (PATCH /api/registry), read at each issuance. */
  anonymousPullEnabled(): Promise<boolean>;
}

export interface AuthSurface {
  /** Replaces OPEN_ACCESS on /v2 and the trust API. */
  readonly gate: TokenGate;
  /** For tokenRoutes (/oauth2/token). */
  readonly endpoint: TokenRouteDeps;
  readonly bootstrap: BootstrapResult;
}

/**
 * Token authentication when auth.enabled: bootstraps the admin account (named after the registry)
 * and the owner user, then builds the token service, identity resolution and the /v2 gate over
 * the access stores. Tokens are issued for the login names (the listen host:port and others).
 */
export async function setupAuth(
  config: Config, metadata: MetadataStore, vault: KeyVault, login: LoginServer, registry: RegistryRef, counters: AuthCounters,
): Promise<AuthSurface> {
  const { access } = metadata;
  const { ownerPassword, ownerPasswordFile } = config.auth;
  const bootstrap = await bootstrapAuth({
    access, vault, registryName: registry.name, registryId: registry.id,
    ...(ownerPassword === undefined ? {} : { ownerPassword }),
    ...(ownerPasswordFile === undefined ? {} : { ownerPasswordFile }),
  });
  const grants: GrantContext = {
    access,
    registryId: registry.id,
    guns: new GunPolicy(login.names),
    anonymousPullEnabled: () => registry.anonymousPullEnabled(),
  };
  const tokens = new TokenService({
    ...grants,
    keys: new TokenKeys(access.signingKeys, vault),
    issuer: TOKEN_ISSUER,
    services: login.names,
    accessTtlSeconds: config.auth.accessTokenSeconds,
    refreshTtlSeconds: config.auth.refreshTokenSeconds,
  });
  const identity = new IdentityResolver({ access, vault, refreshTokens: tokens });
  // One backoff for the token endpoint and /v2: a guesser gains nothing by switching between them.
  const events = new AuthEvents(counters, new FailureBackoff());
  return { gate: new TokenGate({ tokens, identity, grants, login, events }), endpoint: { tokens, identity, login, events }, bootstrap };
}
