import assert from 'node:assert/strict';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { describe, it } from 'node:test';
import {
  DEFAULT_SCRYPT,
  NULL_GUID,
  adminPasswordAad,
  burnPasswordCheck,
  hashPassword,
  needsRehash,
  newGuid,
  newSecret,
  secretHint,
  signingKeyAad,
  verifyPassword,
} from '../../src/auth/secrets.ts';

/** Cheap parameters for tests that do not measure cost. */
const FAST = { logN: 10, r: 8, p: 1 };
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('hashPassword / verifyPassword', () => {
  it('writes a self-describing scrypt string with the default parameters', async () => {
    const hash = await hashPassword('correct horse');
    assert.match(hash, /^\$scrypt\$ln=15,r=8,p=1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    assert.equal(await verifyPassword('correct horse', hash), true);
    assert.equal(needsRehash(hash), false);
  });

  it('salts every hash, so two hashes of one password differ and both verify', async () => {
    const [a, b] = await Promise.all([hashPassword('same', FAST), hashPassword('same', FAST)]);
    assert.notEqual(a, b);
    assert.equal(await verifyPassword('same', a), true);
    assert.equal(await verifyPassword('same', b), true);
  });

  it('rejects a wrong password, a different case and an empty password', async () => {
    const hash = await hashPassword('Secret-1', FAST);
    assert.equal(await verifyPassword('Secret-2', hash), false);
    assert.equal(await verifyPassword('secret-1', hash), false);
    assert.equal(await verifyPassword('', hash), false);
  });

  it('verifies with the parameters stored in the hash, whatever the current defaults', async () => {
    const hash = await hashPassword('older', FAST);
    assert.match(hash, /^\$scrypt\$ln=10,r=8,p=1\$/);
    assert.equal(await verifyPassword('older', hash), true);
    assert.equal(needsRehash(hash), true);
    assert.equal(needsRehash(hash, FAST), false);
  });

  it('treats non-ASCII passwords by their NFC form', async () => {
    const hash = await hashPassword('caf\u00e9', FAST);
    assert.equal(await verifyPassword('cafe\u0301', hash), true);
  });

  it('returns false, never throws, for malformed or out-of-bounds stored strings', async () => {
    const good = await hashPassword('pw', FAST);
    const bad = [
      '',
      'plain',
      good.replace('$scrypt$', '$argon2id$'),
      good.replace('ln=10', 'ln=40'), // 2^40 would take forever: refused before deriving
      good.replace('r=8', 'r=99'),
      good.replace('p=1', 'p=0'),
      good.slice(0, -10),
      `${good}$extra`,
    ];
    for (const stored of bad) {
      assert.equal(await verifyPassword('pw', stored), false, stored);
      assert.equal(needsRehash(stored), true, stored);
    }
  });

  it('detects a single altered byte of the stored key', async () => {
    const hash = await hashPassword('pw', FAST);
    const last = hash.at(-1) === 'A' ? 'B' : 'A';
    assert.equal(await verifyPassword('pw', hash.slice(0, -1) + last), false);
  });

  it('does not block the event loop while hashing', async () => {
    let turns = 0;
    let hashing = true;
    const hashed = hashPassword('busy', DEFAULT_SCRYPT).finally(() => (hashing = false));
    while (hashing) {
      turns++;
      await yieldToLoop();
    }
    await hashed;
    assert.ok(turns > 1, `the loop turned ${turns} times during a default-cost hash`);
  });

  it('burnPasswordCheck resolves without revealing anything', async () => {
    assert.equal(await burnPasswordCheck('whatever'), undefined);
  });
});

describe('secrets shown once and ids', () => {
  it('newSecret makes 32 random bytes in base64url without padding', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 100; i++) {
      const secret = newSecret();
      assert.match(secret, /^[A-Za-z0-9_-]{43}$/);
      assert.equal(Buffer.from(secret, 'base64url').length, 32);
      seen.add(secret);
    }
    assert.equal(seen.size, 100);
  });

  it('newGuid makes distinct lower-case version 4 GUIDs, never the null GUID', () => {
    const a = newGuid();
    const b = newGuid();
    assert.match(a, GUID);
    assert.notEqual(a, b);
    assert.notEqual(a, NULL_GUID);
    assert.equal(NULL_GUID, '00000000-0000-0000-0000-000000000000');
  });

  it('secretHint keeps the first three characters', () => {
    assert.equal(secretHint('abcdef'), 'abc');
  });

  it('key-vault additional data names the record and the slot', () => {
    assert.notEqual(adminPasswordAad('myreg', 'password'), adminPasswordAad('myreg', 'password2'));
    assert.notEqual(adminPasswordAad('myreg', 'password'), adminPasswordAad('other', 'password'));
    assert.equal(adminPasswordAad('myreg', 'password'), '["wharf-admin-password","myreg","password"]');
    assert.equal(signingKeyAad('k1'), '["wharf-signing-key","k1"]');
  });
});
