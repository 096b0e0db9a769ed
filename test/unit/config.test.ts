import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfig, parseListen, redactedConfig } from '../../src/config/load.ts';
import { tmpDir } from '../helpers/tmp.ts';

const KEK = Buffer.alloc(32, 0xa5).toString('base64');

describe('configuration', () => {
  it('has defaults that need no services: 127.0.0.1:5443, ./data, SQLite, HTTPS', () => {
    const config = loadConfig({ env: {}, file: undefined });
    assert.equal(config.listen, '127.0.0.1:5443');
    assert.match(config.data, /\/data$/);
    assert.equal(config.metadata, 'sqlite');
    assert.equal(config.tls.enabled, true);
    assert.equal(config.limits.manifestBytes, 4 * 1024 * 1024);
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.tls));
  });

  it('layers wharf.yaml < WHARF_* env < flags', async (t) => {
    const dir = await tmpDir();
    t.after(() => dir.remove());
    const file = join(dir.path, 'wharf.yaml');
    writeFileSync(file, 'listen: 0.0.0.0:1000\ndata: /from/yaml\nlimits:\n  manifestBytes: 2048\n  pageSize: 7\n');
    const env = { WHARF_DATA: '/from/env', WHARF_LIMITS__MANIFEST_BYTES: '4096', WHARF_TLS__ENABLED: 'false' };
    const config = loadConfig({ file, env, flags: { data: '/from/flag' } });
    assert.equal(config.listen, '0.0.0.0:1000');
    assert.equal(config.data, '/from/flag');
    assert.equal(config.limits.manifestBytes, 4096);
    assert.equal(config.limits.pageSize, 7);
    assert.equal(config.tls.enabled, false);
  });

  it('lists every problem at once', async (t) => {
    const dir = await tmpDir();
    t.after(() => dir.remove());
    const file = join(dir.path, 'wharf.yaml');
    writeFileSync(file, 'bogus: 1\nlimits:\n  manifestBytes: -5\nlog:\n  level: loud\n');
    try {
      loadConfig({ file, env: {} });
      assert.fail('expected a ConfigError');
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      const text = err.problems.join('\n');
      assert.match(text, /bogus/);
      assert.match(text, /limits\.manifestBytes/);
      assert.match(text, /log\.level/);
      assert.ok(err.problems.length >= 3);
    }
  });

  it('checks listen addresses, TLS pairs and metadata URLs', () => {
    assert.throws(
      () => loadConfig({ env: {}, flags: { listen: 'nope', metadata: 'mysql://x', tls: { cert: '/no/such.crt' } } }),
      (err: unknown) => err instanceof ConfigError && err.problems.length === 4,
    );
  });

  it('defaults to dev mode, the trust settings of the spec and the content trust policy disabled (as ACR)', () => {
    const config = loadConfig({ env: {}, file: undefined });
    assert.equal(config.mode, 'dev');
    assert.deepEqual(config.trust, { serverKeyType: 'ecdsa', currentMaxAgeSeconds: 0, consistentMaxAgeSeconds: 2_592_000, policy: 'disabled' });
  });

  it('reads the trust settings from env, lists comma-separated', () => {
    const env = {
      WHARF_MODE: 'production',
      WHARF_TRUST__KEY_ENCRYPTION_KEY: KEK,
      WHARF_TRUST__HOSTS: 'registry.example.com:5443, 127.0.0.1:5443,[::1]:5443',
      WHARF_TRUST__SERVER_KEY_TYPE: 'ed25519',
      WHARF_TRUST__CURRENT_MAX_AGE_SECONDS: '300',
    };
    const config = loadConfig({ env });
    assert.equal(config.mode, 'production');
    assert.equal(config.trust.keyEncryptionKey, KEK);
    assert.deepEqual(config.trust.hosts, ['registry.example.com:5443', '127.0.0.1:5443', '[::1]:5443']);
    assert.equal(config.trust.serverKeyType, 'ed25519');
    assert.equal(config.trust.currentMaxAgeSeconds, 300);
  });

  it('checks the trust settings without echoing the key-encryption key', async (t) => {
    const dir = await tmpDir();
    t.after(() => dir.remove());
    const keyFile = join(dir.path, 'kek');
    writeFileSync(keyFile, `${KEK}\n`);
    const problemsOf = (flags: Record<string, unknown>): string[] => {
      try {
        loadConfig({ env: {}, flags });
      } catch (err) {
        assert.ok(err instanceof ConfigError);
        return err.problems;
      }
      return [];
    };
    assert.deepEqual(problemsOf({ mode: 'production', trust: { keyEncryptionKeyFile: keyFile } }), []);
    assert.match(problemsOf({ trust: { keyEncryptionKey: KEK, keyEncryptionKeyFile: keyFile } }).join(), /mutually exclusive/);
    assert.match(problemsOf({ mode: 'production' }).join(), /production mode needs trust.keyEncryptionKey/);
    assert.match(problemsOf({ trust: { keyEncryptionKeyFile: join(dir.path, 'none') } }).join(), /keyEncryptionKeyFile: file not found/);
    const short = Buffer.alloc(16, 7).toString('base64');
    const bad = problemsOf({ trust: { keyEncryptionKey: short } });
    assert.match(bad.join(), /trust.keyEncryptionKey: expected base64 of 32 bytes/);
    assert.ok(!bad.join().includes(short));
    const many = problemsOf({ mode: 'staging', trust: { hosts: ['ok:1', 'not a host'], serverKeyType: 'rsa', currentMaxAgeSeconds: -1 } });
    for (const where of ['mode', 'trust.hosts.1', 'trust.serverKeyType', 'trust.currentMaxAgeSeconds']) {
      assert.ok(many.some((p) => p.startsWith(where)), `${where} in ${many.join('; ')}`);
    }
    assert.match(problemsOf({ trust: { hosts: [] } }).join(), /trust.hosts/);
    assert.match(problemsOf({ trust: { consistentMaxAgeSeconds: 31_536_001 } }).join(), /trust.consistentMaxAgeSeconds/);
  });

  it('hides the database password and the key-encryption key from check-config', () => {
    const config = loadConfig({ env: { WHARF_METADATA: 'postgres://wharf:hunter2@db/wharf', WHARF_TRUST__KEY_ENCRYPTION_KEY: KEK } });
    const shown = JSON.stringify(redactedConfig(config));
    assert.ok(!shown.includes('hunter2') && !shown.includes(KEK), shown);
    assert.match(shown, /"keyEncryptionKey":"\*\*\*"/);
    assert.equal(redactedConfig(loadConfig({ env: {} })).trust.keyEncryptionKey, undefined);
  });

  it('turns auth on by default, off only when asked, and reads its settings from env, hiding the owner password', () => {
    assert.deepEqual(loadConfig({ env: {} }).auth, { enabled: true, anonymousPull: false, accessTokenSeconds: 900, refreshTokenSeconds: 10_800 });
    assert.equal(loadConfig({ env: { WHARF_AUTH__ENABLED: 'false' } }).auth.enabled, false);
    const config = loadConfig({ env: { WHARF_AUTH__OWNER_PASSWORD: 'hunter3', WHARF_AUTH__ACCESS_TOKEN_SECONDS: '300' } });
    assert.equal(config.auth.enabled, true);
    assert.equal(config.auth.accessTokenSeconds, 300);
    assert.equal(config.auth.ownerPassword, 'hunter3');
    assert.ok(!JSON.stringify(redactedConfig(config)).includes('hunter3'));
    const problemsOf = (flags: Record<string, unknown>): string[] => {
      try {
        loadConfig({ env: {}, flags });
        return [];
      } catch (err) {
        assert.ok(err instanceof ConfigError);
        return err.problems;
      }
    };
    assert.match(problemsOf({ auth: { accessTokenSeconds: 59 } }).join(), /auth.accessTokenSeconds/);
    assert.match(problemsOf({ auth: { ownerPassword: 'x', ownerPasswordFile: '/no/such/file' } }).join(), /mutually exclusive.*file not found/);
  });

  it('parses host:port including IPv6 literals', () => {
    assert.deepEqual(parseListen('127.0.0.1:5443'), { host: '127.0.0.1', port: 5443 });
    assert.deepEqual(parseListen('[::1]:80'), { host: '::1', port: 80 });
    assert.equal(parseListen('host:99999'), undefined);
    assert.equal(parseListen('host'), undefined);
  });
});

describe('docs/configuration.md', () => {
  it('is the reference generated from the schema (npm run docs:config)', async () => {
    const { readFileSync } = await import('node:fs');
    const { configurationReference } = await import('../../src/config/reference.ts');
    const onDisk = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
    assert.equal(onDisk, configurationReference());
  });
});
