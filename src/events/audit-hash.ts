import { createHash } from 'node:crypto';
import type { AuditRecord } from '../storage/metadata-store.ts';

/** prevHash of the first record. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * The canonical text of a JSON value (docs/audit.md "Hash chain"): no whitespace, object keys
 * sorted (by UTF-16 code unit; every key Wharf writes is ASCII), strings escaped as JSON.stringify
 * escapes them, integers only; object members whose value is undefined are left out. Python's
 * `json.dumps(v, sort_keys=True, separators=(',', ':'), ensure_ascii=False)` writes the same.
 */
export function stableJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new TypeError(`audit records hold integers only, not ${value}`);
    return String(value);
  }
  if (Array.isArray(value)) return `[${value.map((v) => stableJson(v ?? null)).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  throw new TypeError(`audit records cannot hold a ${typeof value}`);
}

/** The fields a record's hash covers: everything but the hash itself. */
export type HashedFields = Omit<AuditRecord, 'hash'>;

/** sha256 (lowercase hex) of the record's canonical JSON: {action, actor, detail, prevHash, repository, seq, subject, time}. */
export function hashAuditRecord(record: HashedFields): string {
  const { action, actor, detail, prevHash, repository, seq, subject, time } = record;
  const text = stableJson({ action, actor, detail, prevHash, repository, seq, subject, time });
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
