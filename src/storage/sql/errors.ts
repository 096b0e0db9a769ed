import { WharfError, isWharfError } from '../../errors/wharf-error.ts';

// Node socket and file-system errors; pg's and Kysely's messages for a lost or closed connection
// carry no code.
const SYSTEM_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE',
  'EACCES', 'EPERM', 'ENOENT', 'EROFS', 'ENOSPC', 'EIO',
]);
const CONNECTION_MESSAGE = /connection|timeout|terminated|not queryable|pool after calling end|not open|already been destroyed/i;
// PostgreSQL SQLSTATE classes: 08 connection, 40 rollback (deadlock, serialization), 53 resources,
// 57 operator intervention (shutdown, cancel), 58 system (I/O).
const UNAVAILABLE_SQLSTATE = /^(08|40|53|57|58)/;
const UNAVAILABLE_SQLITE = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|READONLY|CORRUPT|NOMEM|PROTOCOL|NOTADB)/;

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function isUnavailable(err: unknown): boolean {
  if (err instanceof AggregateError && err.errors.some(isUnavailable)) return true;
  const code = codeOf(err);
  if (code !== undefined) {
    return SYSTEM_CODES.has(code) || UNAVAILABLE_SQLITE.test(code) || (code.length === 5 && UNAVAILABLE_SQLSTATE.test(code));
  }
  return err instanceof Error && CONNECTION_MESSAGE.test(err.message);
}

/**
 * A backend error as callers may see it: UNAVAILABLE when the database cannot be reached or is
 * out of resources, UNKNOWN otherwise; the message never carries SQL, the cause keeps it all.
 */
export function toStoreError(err: unknown): WharfError {
  if (isWharfError(err)) return err;
  if (isUnavailable(err)) return new WharfError('UNAVAILABLE', 'metadata database unavailable', { cause: err });
  return new WharfError('UNKNOWN', 'metadata database query failed', { cause: err });
}

/** Whether the error is a foreign key violation (a row it needs is gone, or one still needs it). */
export function isForeignKeyViolation(err: unknown): boolean {
  const code = codeOf(err);
  return code === '23503' || code === 'SQLITE_CONSTRAINT_FOREIGNKEY';
}

/** Whether the error is a primary key or unique index violation (the row or key already exists). */
export function isUniqueViolation(err: unknown): boolean {
  const code = codeOf(err);
  return code === '23505' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}

/** Deadlock or serialization failure: the transaction may simply be run again. */
export function isRetryable(err: unknown): boolean {
  const code = codeOf(err);
  return code === '40P01' || code === '40001';
}

/** The same object with every method's failure passed through toStoreError. */
export function guarded<T extends object>(index: T): T {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(index)) {
    if (typeof value !== 'function') {
      out[key] = value;
      continue;
    }
    const method = value as (...args: unknown[]) => Promise<unknown>;
    out[key] = async (...args: unknown[]) => {
      try {
        return await method.apply(index, args);
      } catch (err) {
        throw toStoreError(err);
      }
    };
  }
  return out as T;
}
