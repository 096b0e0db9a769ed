import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CanonicalJsonError, StrictJsonError, canonicalJson, numberLexeme, parseStrictJson } from '../../src/trust/canonical-json.ts';
import { parseEnvelope } from '../../src/trust/models/envelope.ts';
import { verifySignature } from '../../src/trust/signatures.ts';
import { rootFromJSON } from '../../src/trust/models/root.ts';
import { targetsFromJSON } from '../../src/trust/models/targets.ts';

const vector = (name: string) => readFileSync(new URL(`../vectors/notary/${name}`, import.meta.url));
const canon = (text: string) => canonicalJson(parseStrictJson(text)).toString('utf8');
const FILES = ['root.json', 'targets.json', 'targets/releases.json', 'snapshot.json', 'timestamp.json'];

describe('canonicalJson (spec 11.7)', () => {
  it('sorts keys, drops whitespace, keeps array order', () => {
    assert.equal(canon('{ "b" : 1, "a" : [3, 1, 2], "c": {"z": null, "y": true, "x": false} }'), '{"a":[3,1,2],"b":1,"c":{"x":false,"y":true,"z":null}}');
  });
  it('orders keys by UTF-8 bytes, not UTF-16 units: U+FF5E before U+1F600 (rule 2)', () => {
    const value = { '\u{1F600}': 1, '\uFF5E': 2, a: 3, 'é': 4 };
    assert.equal(canonicalJson(value).toString('utf8'), '{"a":3,"é":4,"\uFF5E":2,"\u{1F600}":1}');
    // JavaScript's default sort would put the astral key first.
    assert.deepEqual(Object.keys(value).sort(), ['a', 'é', '\u{1F600}', '\uFF5E']);
  });
  it('sorts by the raw key, so a quote sorts as 0x22 and not as its escape', () => {
    assert.equal(canonicalJson({ '#': 1, '"': 2 }).toString('utf8'), '{"\\"":2,"#":1}');
  });
  it('escapes only backslash and quote; everything else raw (rule 4)', () => {
    assert.equal(canon('"a\\\\b\\"c<>&\\u007f\\u2028\\u2029"'), '"a\\\\b\\"c<>&\u007f\u2028\u2029"');
    assert.equal(canon('"caf\\u00e9 \\ud83d\\ude00 \\/"'), '"café 😀 /"');
  });
  it('writes numbers as plain integers: 1e2 → 100, -0 → 0, 1.0 → 1 (rule 5)', () => {
    assert.equal(canon('[1e2, -5, 0, -0, 1.0, 9007199254740991, -9007199254740991]'), '[100,-5,0,0,1,9007199254740991,-9007199254740991]');
  });
  it('refuses fractions with the reference text "json: unsupported value: 1.5"', () => {
    assert.throws(() => canon('{"n":1.5}'), (e: unknown) => e instanceof CanonicalJsonError && e.reason === 'fraction' && e.message === 'json: unsupported value: 1.5');
  });
  it('refuses integers beyond ±(2^53−1) [R]', () => {
    assert.throws(() => canonicalJson(2 ** 53), (e: unknown) => e instanceof CanonicalJsonError && e.reason === 'integer-range');
    assert.throws(() => canon('[-9007199254740993]'), (e: unknown) => e instanceof CanonicalJsonError && e.reason === 'integer-range');
  });
  it('refuses control characters in strings and keys [R] (6.4)', () => {
    for (const text of ['"a\\nb"', '{"a\\u0000":1}', '"\\u001f"']) {
      assert.throws(() => canon(text), (e: unknown) => e instanceof CanonicalJsonError && e.reason === 'control-character');
    }
  });
  it('refuses lone surrogates and non-JSON values', () => {
    assert.throws(() => canon('"\\ud800"'), (e: unknown) => e instanceof CanonicalJsonError && e.reason === 'lone-surrogate');
    assert.throws(() => canonicalJson({ a: undefined }), CanonicalJsonError);
    assert.throws(() => canonicalJson(Number.NaN), CanonicalJsonError);
    assert.throws(() => canonicalJson(new Date()), CanonicalJsonError);
  });
  it('reproduces the key-ID input string of the README byte for byte', () => {
    const pub = 'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEovhAJnwO8pEZrKXaoOheclIP6PREidHCoxopSZXxusi6ctBI/9A02+j+HeSFzSYaKJMsRDfDomiw30/kLYMJjw==';
    assert.equal(
      canonicalJson({ keyval: { public: pub, private: null }, keytype: 'ecdsa' }).toString('utf8'),
      `{"keytype":"ecdsa","keyval":{"private":null,"public":"${pub}"}}`,
    );
  });
});

describe('parseStrictJson', () => {
  it('parses like JSON.parse for valid input', () => {
    const text = '{"a":[1,2.5,"x",{"b":null}],"c":true,"d":"\\u00e9\\n"}';
    assert.deepEqual(parseStrictJson(text), JSON.parse(text));
  });
  it('rejects duplicate keys at any depth (rule 7 [R])', () => {
    assert.throws(() => parseStrictJson('{"a":1,"a":1}'), /duplicate key "a"/);
    assert.throws(() => parseStrictJson('{"x":{"b":1,"c":2,"b":3}}'), StrictJsonError);
    // Equal after unescaping is still a duplicate.
    assert.throws(() => parseStrictJson('{"a":1,"\\u0061":2}'), StrictJsonError);
  });
  it('rejects invalid JSON, trailing content, BOM and invalid UTF-8', () => {
    for (const text of ['{', '{"a":1,}', '[1 2]', '01', '1.', '.5', '"\t"', '{"a":1} x', "{'a':1}", 'nul', '"\\x"', '+1', '']) {
      assert.throws(() => parseStrictJson(text), StrictJsonError, text);
    }
    assert.throws(() => parseStrictJson(Buffer.from([0xef, 0xbb, 0xbf, 0x31])), StrictJsonError);
    assert.throws(() => parseStrictJson(Buffer.from([0x22, 0xc3, 0x28, 0x22])), /invalid UTF-8/);
  });
  it('keeps "__proto__" as an ordinary member', () => {
    const value = parseStrictJson('{"__proto__":{"x":1}}') as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(value), Object.prototype);
    assert.deepEqual(Object.keys(value), ['__proto__']);
    assert.equal(canonicalJson(value).toString(), '{"__proto__":{"x":1}}');
  });
  it('remembers how each number was spelled', () => {
    const value = parseStrictJson('{"a":6,"b":6.0,"c":[1e2]}') as { c: number[] };
    assert.equal(numberLexeme(value, 'a'), '6');
    assert.equal(numberLexeme(value, 'b'), '6.0');
    assert.equal(numberLexeme(value.c, 0), '1e2');
  });
});

describe('the real vector files', () => {
  for (const name of FILES) {
    it(`${name}: bytes are {"signed":canonical(signed),"signatures":…} and every signature verifies`, () => {
      const bytes = vector(name);
      const doc = parseEnvelope(bytes);
      const message = canonicalJson(doc.signedValue);
      const raw = JSON.parse(bytes.toString('utf8')) as { signatures: unknown };
      assert.equal(bytes.toString('utf8'), `{"signed":${message.toString('utf8')},"signatures":${JSON.stringify(raw.signatures)}}`);
      const keys = new Map([
        ...rootFromJSON(parseEnvelope(vector('root.json')).signedValue).keys,
        ...targetsFromJSON(parseEnvelope(vector('targets.json')).signedValue).delegations.keys,
      ]);
      assert.ok(doc.signatures.length > 0);
      for (const s of doc.signatures) {
        const key = keys.get(s.keyId);
        assert.ok(key, `key ${s.keyId}`);
        assert.equal(s.sig.length, 64);
        assert.ok(verifySignature(key, s.method, s.sig, message));
      }
    });
  }
});
