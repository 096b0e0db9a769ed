import { sql } from 'kysely';
import { WharfError } from '../../errors/wharf-error.ts';
import type { LoginKind } from '../metadata-store.ts';
import type { AccessDb, AccessTables, AccessTx } from './access-schema.ts';
import { isForeignKeyViolation, isUniqueViolation } from './errors.ts';
import type { SqlContext } from './schema.ts';

/** What the access stores receive: the context plus the access tables. */
export interface AccessContext extends SqlContext {
  readonly adb: AccessDb;
}

export function accessContext(ctx: SqlContext): AccessContext {
  return { ...ctx, adb: ctx.db.withTables<AccessTables>() };
}

/** Login names and other case-insensitive keys compare in lower case (JavaScript's, on every node). */
export function nameKey(name: string): string {
  return name.toLowerCase();
}

export function invalid(message: string, detail?: unknown): WharfError {
  return new WharfError('INVALID_REQUEST', message, { detail });
}

export function conflict(message: string, detail?: unknown): WharfError {
  return new WharfError('CONFLICT', message, { detail });
}

export function notFound(message: string, detail?: unknown): WharfError {
  return new WharfError('NOT_FOUND_RESOURCE', message, { detail });
}

// Basic auth splits user:password at the first colon, so a name with one could never log in.
const LOGIN_NAME = /^[^:\u0000-\u001f\u007f]{1,256}$/;
const TOKEN_NAME = /^[A-Za-z0-9_-]{5,50}$/;

/** A user principal name: 1–256 characters, no ':' and no control characters. */
export function checkUserPrincipalName(name: string): void {
  if (!LOGIN_NAME.test(name) || name.trim() !== name) {
    throw invalid('a user principal name has 1 to 256 characters, no colon, no control characters and no surrounding spaces', { name });
  }
}

/** A scoped-token name (access-and-policy.md 2): 5–50 letters, digits, '-' and '_'. */
export function checkTokenName(name: string): void {
  if (!TOKEN_NAME.test(name)) throw invalid('a token name has 5 to 50 letters, digits, hyphens and underscores', { name });
}

/**
 * Reserves `name` as a login name of `kind` owned by `ownerId`, inside the caller's transaction.
 * CONFLICT (detail: the name and the kind holding it) when any kind has it; a concurrent
 * reservation on another connection fails at the primary key instead (see writeTx).
 */
export async function reserveLogin(trx: AccessTx, name: string, kind: LoginKind, ownerId: string): Promise<void> {
  const key = nameKey(name);
  const held = await trx.selectFrom('login_names').select('kind').where('name_key', '=', key).executeTakeFirst();
  if (held) throw conflict(`the name "${name}" is already used by a ${held.kind === 'reserved' ? 'reserved name' : held.kind}`, { name, kind: held.kind });
  await trx.insertInto('login_names').values({ name_key: key, kind, owner_id: ownerId }).execute();
}

export async function releaseLogin(trx: AccessTx, kind: LoginKind, ownerId: string): Promise<void> {
  await trx.deleteFrom('login_names').where('kind', '=', kind).where('owner_id', '=', ownerId).execute();
}

/** Increments the principal's credential version (from 0) and returns the new value. */
export async function bumpVersion(db: AccessDb | AccessTx, principalId: string): Promise<number> {
  const row = await db
    .insertInto('credential_versions')
    .values({ principal_id: principalId, version: 1 })
    .onConflict((oc) => oc.column('principal_id').doUpdateSet({ version: sql<number>`credential_versions.version + 1` }))
    .returning('version')
    .executeTakeFirstOrThrow();
  return Number(row.version);
}

/**
 * Runs `fn` in one transaction. A unique violation (a concurrent writer took the name or key
 * between our check and our insert) becomes CONFLICT; a foreign key violation becomes
 * `onForeignKey()` when given. Everything else passes through.
 */
export async function writeTx<T>(ctx: AccessContext, fn: (trx: AccessTx) => Promise<T>, onForeignKey?: () => WharfError): Promise<T> {
  try {
    return await ctx.adb.transaction().execute(fn);
  } catch (err) {
    if (isUniqueViolation(err)) throw new WharfError('CONFLICT', 'the name or id is already in use', { cause: err });
    if (onForeignKey && isForeignKeyViolation(err)) throw onForeignKey();
    throw err;
  }
}

/** A 0/1 flag parameter. */
export function flag(value: boolean): 0 | 1 {
  return value ? 1 : 0;
}
