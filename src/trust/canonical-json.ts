/**
 * Canonical JSON as Notary signs it (docker/go `MarshalCanonical`, OLPC style), byte-exact per
 * shared/specs/notary-trust-api.md 11.7. Not RFC 8785: nothing but `\` and `"` is escaped.
 */
export { parseStrictJson, numberLexeme, StrictJsonError, type JsonValue, type JsonObject } from './strict-json.ts';

/** Why a value has no canonical form. `message` mirrors Go's text where the reference has one. */
export class CanonicalJsonError extends Error {
  override readonly name = 'CanonicalJsonError';
  constructor(
    readonly reason: 'fraction' | 'integer-range' | 'control-character' | 'lone-surrogate' | 'unsupported-type',
    message: string,
  ) {
    super(message);
  }
}

/**
 * The canonical bytes of a parsed JSON value. Throws CanonicalJsonError for a non-integer or
 * non-finite number, an integer beyond ±(2^53−1), a control character (U+0000–U+001F) or a lone
 * surrogate in a string or key, and for values JSON cannot hold (undefined, functions, bigint...).
 */
export function canonicalJson(value: unknown): Buffer {
  const parts: string[] = [];
  encode(value, parts);
  return Buffer.from(parts.join(''), 'utf8');
}

function encode(value: unknown, out: string[]): void {
  if (value === null) out.push('null');
  else if (value === true) out.push('true');
  else if (value === false) out.push('false');
  else if (typeof value === 'string') out.push(encodeString(value));
  else if (typeof value === 'number') out.push(encodeNumber(value));
  else if (Array.isArray(value)) {
    // Rule 6: arrays keep their order.
    out.push('[');
    value.forEach((item, i) => {
      if (i > 0) out.push(',');
      encode(item, out);
    });
    out.push(']');
  } else if (typeof value === 'object' && isPlainObject(value)) {
    // Rule 2: members sorted by the UTF-8 bytes of their keys (not UTF-16 code units).
    const keys = Object.keys(value)
      .map((key) => ({ key, bytes: Buffer.from(key, 'utf8') }))
      .sort((a, b) => Buffer.compare(a.bytes, b.bytes));
    out.push('{');
    keys.forEach(({ key }, i) => {
      if (i > 0) out.push(',');
      out.push(encodeString(key), ':');
      encode((value as Record<string, unknown>)[key], out);
    });
    out.push('}');
  } else {
    throw new CanonicalJsonError('unsupported-type', `json: unsupported type: ${typeof value}`);
  }
}

function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Rule 5: integers only, plain decimal; [R] within ±(2^53−1) because the reference parses float64. */
function encodeNumber(n: number): string {
  if (!Number.isFinite(n) || !Number.isInteger(n)) {
    throw new CanonicalJsonError('fraction', `json: unsupported value: ${String(n)}`);
  }
  if (!Number.isSafeInteger(n)) throw new CanonicalJsonError('integer-range', `json: integer out of range: ${String(n)}`);
  return Object.is(n, -0) ? '0' : n.toFixed(0);
}

/** Rule 4: only `"` and `\` are escaped; everything else raw. [R] control characters refused (6.4). */
function encodeString(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20) {
      const code = `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
      throw new CanonicalJsonError('control-character', `json: control character ${code} in string ${JSON.stringify(s)}`);
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const pairs = c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00;
      if (!pairs) throw new CanonicalJsonError('lone-surrogate', `json: lone surrogate in string ${JSON.stringify(s)}`);
      i++;
    }
  }
  return `"${s.replace(/[\\"]/g, (m) => `\\${m}`)}"`;
}
