/**
 * A strict JSON parser for TUF uploads (shared/specs/notary-trust-api.md 11.7, 11.8).
 * JSON.parse silently keeps the last of duplicate keys and forgets how numbers were spelled; a TUF
 * server must refuse duplicates (11.7 rule 7, [R]) and must tell `6` from `6.0` for integer fields
 * (11.2: a float version is MALFORMED_JSON). This small recursive-descent parser does both.
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

/** Why a text is not acceptable JSON; `offset` is a UTF-16 index into the decoded text. */
export class StrictJsonError extends Error {
  override readonly name = 'StrictJsonError';
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} at offset ${offset}`);
  }
}

/** Number literals as written, per container and key, for the integer-spelling check. */
const LEXEMES = new WeakMap<object, Map<string | number, string>>();

/**
 * The literal text of the number stored at `container[key]` by `parseStrictJson`, or undefined when
 * that value is not a number parsed by it. Used to reject `6.0` and `6e0` where Go wants an int.
 */
export function numberLexeme(container: object, key: string | number): string | undefined {
  return LEXEMES.get(container)?.get(key);
}

/**
 * Parses one JSON text (RFC 8259) from UTF-8 bytes or a string. Throws StrictJsonError on invalid
 * UTF-8, a byte-order mark, duplicate object keys, trailing content, or any syntax error.
 * Objects are plain objects whose keys are own data properties (even `__proto__`).
 */
export function parseStrictJson(input: Buffer | string): JsonValue {
  let text: string;
  if (typeof input === 'string') {
    text = input;
  } else {
    try {
      text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(input);
    } catch {
      throw new StrictJsonError('invalid UTF-8', 0);
    }
  }
  const parser = new Parser(text);
  parser.skipWhitespace();
  const value = parser.value(0);
  parser.skipWhitespace();
  if (parser.pos !== text.length) throw new StrictJsonError('unexpected content after the JSON value', parser.pos);
  return value;
}

const MAX_DEPTH = 512;
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

class Parser {
  pos = 0;
  constructor(private readonly text: string) {}

  skipWhitespace(): void {
    while (this.pos < this.text.length) {
      const c = this.text.charCodeAt(this.pos);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return;
      this.pos++;
    }
  }

  fail(message: string): never {
    throw new StrictJsonError(message, this.pos);
  }

  value(depth: number): JsonValue {
    if (depth > MAX_DEPTH) this.fail('nesting too deep');
    const c = this.text[this.pos];
    if (c === '{') return this.object(depth);
    if (c === '[') return this.array(depth);
    if (c === '"') return this.string();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number().value;
    for (const [word, literal] of [['true', true], ['false', false], ['null', null]] as const) {
      if (this.text.startsWith(word, this.pos)) {
        this.pos += word.length;
        return literal;
      }
    }
    return this.fail(c === undefined ? 'unexpected end of input' : `unexpected character ${JSON.stringify(c)}`);
  }

  number(): { value: number; lexeme: string } {
    NUMBER.lastIndex = this.pos;
    const match = NUMBER.exec(this.text);
    if (!match) this.fail('invalid number');
    this.pos += match[0].length;
    return { value: Number(match[0]), lexeme: match[0] };
  }

  /** Parses a member or element value, remembering the spelling of numbers. */
  member(container: object, key: string | number, depth: number): JsonValue {
    const c = this.text[this.pos];
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) {
      const { value, lexeme } = this.number();
      let lexemes = LEXEMES.get(container);
      if (!lexemes) LEXEMES.set(container, (lexemes = new Map()));
      lexemes.set(key, lexeme);
      return value;
    }
    return this.value(depth);
  }

  object(depth: number): JsonObject {
    const result: JsonObject = {};
    const seen = new Set<string>();
    this.pos++;
    this.skipWhitespace();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return result;
    }
    for (;;) {
      if (this.text[this.pos] !== '"') this.fail('expected a string key');
      const key = this.string();
      // 11.7 rule 7 [R]: Go keeps the last duplicate, JSON.parse too; we refuse the ambiguity.
      if (seen.has(key)) this.fail(`duplicate key ${JSON.stringify(key)}`);
      seen.add(key);
      this.skipWhitespace();
      if (this.text[this.pos] !== ':') this.fail("expected ':'");
      this.pos++;
      this.skipWhitespace();
      const value = this.member(result, key, depth + 1);
      // defineProperty, not assignment: a "__proto__" key must stay an ordinary member.
      Object.defineProperty(result, key, { value, enumerable: true, writable: true, configurable: true });
      this.skipWhitespace();
      const sep = this.text[this.pos++];
      if (sep === '}') return result;
      if (sep !== ',') this.fail("expected ',' or '}'");
      this.skipWhitespace();
    }
  }

  array(depth: number): JsonValue[] {
    const result: JsonValue[] = [];
    this.pos++;
    this.skipWhitespace();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return result;
    }
    for (;;) {
      this.skipWhitespace();
      result.push(this.member(result, result.length, depth + 1));
      this.skipWhitespace();
      const sep = this.text[this.pos++];
      if (sep === ']') return result;
      if (sep !== ',') this.fail("expected ',' or ']'");
    }
  }

  string(): string {
    this.pos++;
    let out = '';
    let start = this.pos;
    for (;;) {
      const c = this.text.charCodeAt(this.pos);
      if (Number.isNaN(c)) this.fail('unterminated string');
      if (c === 0x22) {
        out += this.text.slice(start, this.pos++);
        return out;
      }
      if (c < 0x20) this.fail('unescaped control character in string');
      if (c !== 0x5c) {
        this.pos++;
        continue;
      }
      out += this.text.slice(start, this.pos);
      const e = this.text[this.pos + 1];
      if (e === 'u') {
        const hex = this.text.slice(this.pos + 2, this.pos + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('invalid \\u escape');
        out += String.fromCharCode(parseInt(hex, 16));
        this.pos += 6;
      } else {
        const decoded = e === undefined ? undefined : ESCAPES[e];
        if (decoded === undefined) this.fail('invalid escape');
        out += decoded;
        this.pos += 2;
      }
      start = this.pos;
    }
  }
}
