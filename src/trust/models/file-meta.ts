/** `{hashes, length, custom?}` entries of targets, snapshot and timestamp `meta` (spec 11.3). */
import type { JsonObject, JsonValue } from '../canonical-json.ts';
import { base64Value, isJsonObject, malformed, member, optionalInteger, optionalObject } from './fields.ts';

export interface FileMeta {
  /** Algorithm name → raw digest bytes (base64-decoded). Unknown algorithms are kept. */
  hashes: ReadonlyMap<string, Buffer>;
  /** 0 when absent. */
  length: number;
  /** `custom`, any JSON, untouched. */
  custom?: JsonValue;
}

export function fileMetaFromJSON(value: JsonValue | undefined, where: string): FileMeta {
  if (!isJsonObject(value)) malformed(`${where} is not an object`);
  const hashes = new Map<string, Buffer>();
  for (const [alg, digest] of Object.entries(optionalObject(value, 'hashes', where) ?? {})) {
    hashes.set(alg, base64Value(digest, `${where}.hashes.${alg}`));
  }
  const custom = member(value, 'custom');
  return { hashes, length: optionalInteger(value, 'length', where) ?? 0, ...(custom === undefined ? {} : { custom }) };
}

export function fileMetaMapFromJSON(obj: JsonObject | undefined, where: string): ReadonlyMap<string, FileMeta> {
  const meta = new Map<string, FileMeta>();
  for (const [name, value] of Object.entries(obj ?? {})) meta.set(name, fileMetaFromJSON(value, `${where}.${name}`));
  return meta;
}

/** The wire form; keys in canonical order do not matter here (canonicalJson sorts). */
export function fileMetaToJSON(meta: FileMeta): JsonObject {
  const hashes: JsonObject = {};
  for (const [alg, digest] of meta.hashes) hashes[alg] = digest.toString('base64');
  return { ...(meta.custom === undefined ? {} : { custom: meta.custom }), hashes, length: meta.length };
}
