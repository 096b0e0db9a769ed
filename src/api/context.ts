import type { FastifyInstance, FastifyRequest, RawServerDefault, FastifyBaseLogger } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AccessRecords } from '../storage/metadata-store.ts';
import type { ContentTrustAdmin } from '../trust/content-trust-admin.ts';
import type { KeyVault } from '../trust/key-vault.ts';
import type { Authorization } from './authorization.ts';
import type { Caller } from './caller.ts';
import type { RegistrySettings } from './registry-settings.ts';

/** What every management service receives. */
export interface ApiContext {
  readonly access: AccessRecords;
  readonly registry: RegistrySettings;
  /** Opens and seals the admin account's passwords. */
  readonly vault: KeyVault;
  readonly authz: Authorization;
  /** The content trust policy and its data consequences (spec 5). */
  readonly contentTrust: ContentTrustAdmin;
  /** The primary login server (host:port), shown as `loginServer`. */
  readonly loginServer: string;
  readonly now: () => number;
}

/** The /api Fastify instance with TypeBox route typing. */
export type ApiApp = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger, TypeBoxTypeProvider>;

/** A resource's routes: registered inside the /api plugin, so they share its auth hook and error handler. */
export type ApiRoutes = (app: ApiApp, opts: { ctx: ApiContext }) => Promise<void>;

const callers = new WeakMap<FastifyRequest, Caller>();

export function setCaller(req: FastifyRequest, caller: Caller): void {
  callers.set(req, caller);
}

/**
 * Who authenticated but may not manage the registry (the admin account, a scoped token): a name,
 * or an access token's subject (resolved to its name when recorded). Only the audit log reads it.
 */
export type RefusedPrincipal = { readonly name: string } | { readonly id: string };

const refused = new WeakMap<FastifyRequest, RefusedPrincipal>();

export function setRefusedPrincipal(req: FastifyRequest, principal: RefusedPrincipal): void {
  refused.set(req, principal);
}

export function refusedPrincipalOf(req: FastifyRequest): RefusedPrincipal | undefined {
  return refused.get(req);
}

/** The authenticated caller (the plugin's onRequest hook runs before every handler but openapi.json). */
export function callerOf(req: FastifyRequest): Caller {
  const caller = callers.get(req);
  if (!caller) throw new Error('management route reached without an authenticated caller');
  return caller;
}
