/**
 * Typed field readers for TUF models. Every wrong JSON type is `MALFORMED_JSON` (spec 2.2, 6.1,
 * 11.2), as Go's decoder fails on it. Like Go, `null` and an absent field both read as "absent";
 * unlike Go, names are matched exactly (11.8 [R]).
 */
import { WharfError } from '../../errors/wharf-error.ts';
import { numberLexeme, type JsonObject, type JsonValue } from '../canonical-json.ts';

/** Throws MALFORMED_JSON; `reason` becomes the cause (logged, never sent). */
export function malformed(reason: string): never {
  throw new WharfError('MALFORMED_JSON', undefined, { cause: new Error(reason) });
}

export function isJsonObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The own member `key`, or undefined when absent or null. */
export function member(obj: JsonObject, key: string): JsonValue | undefined {
  if (!Object.hasOwn(obj, key)) return undefined;
  const value = obj[key];
  return value === null ? undefined : value;
}

export function optionalString(obj: JsonObject, key: string, where: string): string | undefined {
  const value = member(obj, key);
  if (value !== undefined && typeof value !== 'string') malformed(`${where}.${key} is not a string`);
  return value;
}

export function optionalBoolean(obj: JsonObject, key: string, where: string): boolean | undefined {
  const value = member(obj, key);
  if (value !== undefined && typeof value !== 'boolean') malformed(`${where}.${key} is not a boolean`);
  return value;
}

/**
 * An integer field: a JSON number spelled as an integer literal (`6.0` and `6e0` are refused, as
 * Go's decoder refuses them for an int; spec 11.2) within ±(2^53−1).
 */
export function optionalInteger(obj: JsonObject, key: string, where: string): number | undefined {
  const value = member(obj, key);
  if (value === undefined) return undefined;
  if (typeof value !== 'number') malformed(`${where}.${key} is not a number`);
  const lexeme = numberLexeme(obj, key);
  if ((lexeme !== undefined && !/^-?[0-9]+$/.test(lexeme)) || !Number.isSafeInteger(value)) {
    malformed(`${where}.${key} is not an integer`);
  }
  return value;
}

export function optionalObject(obj: JsonObject, key: string, where: string): JsonObject | undefined {
  const value = member(obj, key);
  if (value !== undefined && !isJsonObject(value)) malformed(`${where}.${key} is not an object`);
  return value;
}

export function optionalArray(obj: JsonObject, key: string, where: string): JsonValue[] | undefined {
  const value = member(obj, key);
  if (value !== undefined && !Array.isArray(value)) malformed(`${where}.${key} is not an array`);
  return value;
}

/** Go decodes `[]byte` fields from standard, padded base64; anything else is MALFORMED_JSON. */
export function base64Value(value: JsonValue | undefined, where: string): Buffer {
  if (typeof value !== 'string' || !isStrictBase64(value)) malformed(`${where} is not base64`);
  return Buffer.from(value, 'base64');
}

export function isStrictBase64(text: string): boolean {
  return text.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(text);
}

/** A list of strings (`keyids`, `paths`); null or absent is empty/undefined as the caller decides. */
export function stringList(value: JsonValue[] | undefined, where: string): string[] | undefined {
  if (value === undefined) return undefined;
  return value.map((item, i) => {
    if (typeof item !== 'string') malformed(`${where}[${i}] is not a string`);
    return item;
  });
}
