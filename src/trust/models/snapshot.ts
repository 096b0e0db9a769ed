/** Snapshot and Timestamp bodies: `meta` maps a file name to its hashes and length (spec 11.3). */
import type { JsonObject } from '../canonical-json.ts';
import { commonFromJSON, type SignedCommon } from './envelope.ts';
import { optionalObject } from './fields.ts';
import { fileMetaMapFromJSON, fileMetaToJSON, type FileMeta } from './file-meta.ts';
import { toRfc3339 } from './expiry.ts';

export interface Snapshot extends SignedCommon {
  /** Role name (`root`, `targets`, `targets/x`) → hashes and length of its exact bytes. */
  meta: ReadonlyMap<string, FileMeta>;
}

/** Timestamp has the same shape; its `meta` lists `snapshot`. */
export type Timestamp = Snapshot;

/** Parses a `signed` object as Snapshot or Timestamp; MALFORMED_JSON on wrong types. */
export function snapshotFromJSON(signed: JsonObject): Snapshot {
  return { ...commonFromJSON(signed), meta: fileMetaMapFromJSON(optionalObject(signed, 'meta', 'snapshot'), 'snapshot.meta') };
}

export const timestampFromJSON = snapshotFromJSON;

/** The wire `signed` object of a server-generated Snapshot or Timestamp. */
export function metaRoleToJSON(type: 'Snapshot' | 'Timestamp', version: number, expiresAt: Date, meta: ReadonlyMap<string, FileMeta>): JsonObject {
  const wireMeta: JsonObject = {};
  for (const [name, entry] of meta) {
    Object.defineProperty(wireMeta, name, { value: fileMetaToJSON(entry), enumerable: true, writable: true, configurable: true });
  }
  return { _type: type, expires: toRfc3339(expiresAt), meta: wireMeta, version };
}
