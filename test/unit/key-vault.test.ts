import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, it } from 'node:test';
import { isWharfError } from '../../src/errors/wharf-error.ts';
import { DEV_KEK_FILE, KeyVault, type KeyVaultConfig } from '../../src/trust/key-vault.ts';
import type { Gun } from '../../src/trust/types.ts';
import { tmpDir } from '../helpers/tmp.ts';

const GUN = '127.0.0.1:5443/lab/app' as Gun;
const KEK = randomBytes(32);

function config(data: string, trust: KeyVaultConfig['trust'] = {}, mode: KeyVaultConfig['mode'] = 'dev'): KeyVaultConfig {
  return { mode, data, trust };
}

function privateKeyDer(): Buffer {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'der', type: 'pkcs8' });
}

const cannotOpen = (err: unknown) => isWharfError(err) && err.code === 'UNKNOWN';

describe('KeyVault', () => {
  const vault = new KeyVault(KEK);
  const aad = KeyVault.aadFor(GUN, 'timestamp', 'a'.repeat(64));

  it('opens what it sealed, with a fresh IV each time', () => {
    const der = privateKeyDer();
    const sealed = vault.seal(der, aad);
    assert.equal(sealed[0], 1, 'version byte');
    assert.equal(sealed.length, 1 + 12 + 16 + der.length);
    assert.ok(!sealed.includes(der.subarray(0, 16)), 'no plaintext in the sealed bytes');
    assert.deepEqual(vault.open(sealed, aad), der);
    assert.notDeepEqual(vault.seal(der, aad), sealed);
  });

  it('refuses altered bytes anywhere: version, IV, tag, ciphertext; and truncation', () => {
    const sealed = vault.seal(privateKeyDer(), aad);
    for (const at of [0, 1, 13, 29, sealed.length - 1]) {
      const tampered = Buffer.from(sealed);
      tampered[at] = tampered[at]! ^ 0x01;
      assert.throws(() => vault.open(tampered, aad), cannotOpen, `byte ${at}`);
    }
    assert.throws(() => vault.open(sealed.subarray(0, 20), aad), cannotOpen);
    assert.throws(() => vault.open(sealed.subarray(0, sealed.length - 1), aad), cannotOpen);
  });

  it('refuses a key sealed for another record or under another KEK', () => {
    const sealed = vault.seal(privateKeyDer(), aad);
    for (const other of [
      KeyVault.aadFor(GUN, 'snapshot', 'a'.repeat(64)),
      KeyVault.aadFor(`${GUN}x` as Gun, 'timestamp', 'a'.repeat(64)),
      KeyVault.aadFor(GUN, 'timestamp', 'b'.repeat(64)),
    ]) {
      assert.throws(() => vault.open(sealed, other), cannotOpen);
    }
    assert.throws(() => new KeyVault(randomBytes(32)).open(sealed, aad), cannotOpen);
  });

  it('never shows its key', () => {
    const base64 = KEK.toString('base64');
    const hex = KEK.toString('hex');
    for (const text of [inspect(vault, { showHidden: true, depth: 5 }), JSON.stringify(vault), String(vault)]) {
      assert.ok(!text.includes(base64) && !text.includes(hex), text);
    }
    assert.throws(() => new KeyVault(randomBytes(16)), /32 bytes/);
  });
});

describe('KeyVault.load', () => {
  it('uses trust.keyEncryptionKey', async () => {
    const sealed = new KeyVault(KEK).seal(Buffer.from('secret'), 'aad');
    const loaded = await KeyVault.load(config('/nonexistent', { keyEncryptionKey: KEK.toString('base64') }, 'production'));
    assert.deepEqual(loaded.open(sealed, 'aad'), Buffer.from('secret'));
  });

  it('uses trust.keyEncryptionKeyFile', async (t) => {
    const dir = await tmpDir();
    t.after(() => dir.remove());
    const file = join(dir.path, 'kek');
    writeFileSync(file, `${KEK.toString('base64')}\n`, { mode: 0o600 });
    const sealed = new KeyVault(KEK).seal(Buffer.from('secret'), 'aad');
    const loaded = await KeyVault.load(config(dir.path, { keyEncryptionKeyFile: file }, 'production'));
    assert.deepEqual(loaded.open(sealed, 'aad'), Buffer.from('secret'));
    assert.ok(!existsSync(join(dir.path, DEV_KEK_FILE)));
  });

  it('refuses to start in production mode without a KEK, and writes nothing', async (t) => {
    const dir = await tmpDir();
    t.after(() => dir.remove());
    await assert.rejects(KeyVault.load(config(dir.path, {}, 'production')), /production mode needs trust.keyEncryptionKey/);
    assert.deepEqual(readdirSync(dir.path), []);
  });

  it('rejects a malformed key without echoing it', async (t) => {
    const dir = await tmpDir();
    t.after(() => dir.remove());
    const short = randomBytes(16).toString('base64');
    await assert.rejects(KeyVault.load(config(dir.path, { keyEncryptionKey: short })), (err: Error) => {
      assert.match(err.message, /trust.keyEncryptionKey: expected base64 of 32 bytes/);
      assert.ok(!err.message.includes(short));
      return true;
    });
    const file = join(dir.path, 'kek');
    writeFileSync(file, short);
    await assert.rejects(KeyVault.load(config(dir.path, { keyEncryptionKeyFile: file })), (err: Error) => !err.message.includes(short));
    await assert.rejects(KeyVault.load(config(dir.path, { keyEncryptionKeyFile: join(dir.path, 'none') })), /cannot read .*ENOENT/);
  });

  it('generates <data>/trust-kek with mode 0600 in dev mode and reuses it', async (t) => {
    const dir = await tmpDir();
    t.after(() => dir.remove());
    const data = join(dir.path, 'data');
    const first = await KeyVault.load(config(data));
    const path = join(data, DEV_KEK_FILE);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(Buffer.from(readFileSync(path, 'utf8').trim(), 'base64').length, 32);
    assert.deepEqual(readdirSync(data), [DEV_KEK_FILE], 'no temporary files left');
    const sealed = first.seal(Buffer.from('secret'), 'aad');
    const again = await KeyVault.load(config(data));
    assert.deepEqual(again.open(sealed, 'aad'), Buffer.from('secret'));
  });

  it('agrees on one generated key when several starts race', async (t) => {
    const dir = await tmpDir();
    t.after(() => dir.remove());
    const vaults = await Promise.all(Array.from({ length: 8 }, () => KeyVault.load(config(dir.path))));
    const sealed = vaults[0]!.seal(Buffer.from('secret'), 'aad');
    for (const vault of vaults) assert.deepEqual(vault.open(sealed, 'aad'), Buffer.from('secret'));
    assert.deepEqual(readdirSync(dir.path), [DEV_KEK_FILE]);
  });

  it('refuses an unreadable dev key file instead of replacing it', async (t) => {
    const dir = await tmpDir();
    t.after(() => dir.remove());
    writeFileSync(join(dir.path, DEV_KEK_FILE), 'garbage');
    await assert.rejects(KeyVault.load(config(dir.path)), /dev key-encryption key/);
    assert.equal(readFileSync(join(dir.path, DEV_KEK_FILE), 'utf8'), 'garbage');
  });
});
