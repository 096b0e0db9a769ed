import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfig, parseListen } from '../../src/config/load.ts';
import { tmpDir } from '../helpers/tmp.ts';

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
