import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.ts';
import { loadTls } from '../../src/http/tls.ts';
import { tmpDir } from '../helpers/tmp.ts';

describe('the generated TLS certificate', () => {
  it('is issued by a CA made on first start, reused afterwards, and re-issued for a new listen host', async (t) => {
    const dir = await tmpDir();
    t.after(() => dir.remove());
    const config = loadConfig({ env: {}, flags: { data: dir.path } });
    const first = await loadTls(config, '127.0.0.1');
    const ca = new X509Certificate(readFileSync(first.caFile!));
    const leaf = new X509Certificate(first.cert);
    assert.ok(leaf.checkIssued(ca) && leaf.verify(ca.publicKey));
    assert.match(leaf.subjectAltName!, /DNS:localhost/);
    assert.match(leaf.subjectAltName!, /IP Address:127.0.0.1/);
    assert.equal(statSync(join(dir.path, 'tls', 'ca.key')).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir.path, 'tls', 'server.key')).mode & 0o777, 0o600);

    const again = await loadTls(config, '127.0.0.1');
    assert.equal(again.cert, first.cert);

    const other = await loadTls(config, 'registry.internal');
    assert.notEqual(other.cert, first.cert);
    assert.match(new X509Certificate(other.cert).subjectAltName!, /DNS:registry.internal/);
    assert.ok(new X509Certificate(other.cert).checkIssued(ca), 'the same CA stays trusted');
  });
});
