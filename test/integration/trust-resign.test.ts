import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { openSqlMetadataStore } from '../../src/storage/sql/open.ts';
import { KeyVault } from '../../src/trust/key-vault.ts';
import { keyIdOf } from '../../src/trust/keys.ts';
import { parseEnvelope } from '../../src/trust/models/index.ts';
import { TrustReadCache } from '../../src/trust/read-cache.ts';
import { ServerKeysService } from '../../src/trust/server-keys-service.ts';
import { TrustService } from '../../src/trust/trust-service.ts';
import type { Gun, TufRole } from '../../src/trust/types.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { DAY_MS, FUTURE, GUN, NOW, keyWire, makeKey, makeRootKey, sign } from '../unit/trust-fixtures.ts';

/**
 * Read-time re-signing (spec 7.3) needs time to pass: the service runs here on a real SQLite store
 * with a clock the test moves, publishing exactly as docker does (server-held snapshot).
 */
describe('re-signing expiring server metadata on read', () => {
  it('re-signs the timestamp near its 14-day expiry, and the snapshot near its 3-year expiry', async (t) => {
    const dir = await tmpDir();
    t.after(() => dir.remove());
    const metadata = await openSqlMetadataStore('sqlite', { dataDir: dir.path });
    t.after(() => metadata.close());
    let clock = NOW;
    const keys = new ServerKeysService(metadata, new KeyVault(randomBytes(32)), 'ecdsa');
    const service = new TrustService(metadata, keys, new TrustReadCache({ cacheLatest: true, ttlMs: 60_000 }), () => clock);
    const gun = GUN as Gun;

    const snapshotKey = await service.key(gun, 'snapshot');
    const timestampKey = await service.key(gun, 'timestamp');
    const rootKey = await makeRootKey();
    const targetsKey = makeKey();
    const serverKey = (k: typeof snapshotKey) => ({ keytype: k.keytype, keyval: { private: null, public: k.keyval.public } });
    const ids = {
      snapshot: keyIdOf({ keyType: 'ecdsa', publicValue: snapshotKey.keyval.public }),
      timestamp: keyIdOf({ keyType: 'ecdsa', publicValue: timestampKey.keyval.public }),
    };
    const root = sign(
      {
        _type: 'Root',
        consistent_snapshot: false,
        expires: FUTURE,
        keys: { [rootKey.id]: keyWire(rootKey), [targetsKey.id]: keyWire(targetsKey), [ids.snapshot]: serverKey(snapshotKey), [ids.timestamp]: serverKey(timestampKey) },
        roles: {
          root: { keyids: [rootKey.id], threshold: 1 },
          targets: { keyids: [targetsKey.id], threshold: 1 },
          snapshot: { keyids: [ids.snapshot], threshold: 1 },
          timestamp: { keyids: [ids.timestamp], threshold: 1 },
        },
        version: 1,
      },
      rootKey,
    );
    const targets = sign({ _type: 'Targets', delegations: { keys: {}, roles: [] }, expires: FUTURE, targets: {}, version: 2 }, targetsKey);
    await service.publish(gun, new Map([['root', root], ['targets', targets]]));
    const first = await service.current(gun, 'timestamp' as TufRole);
    assert.equal(first.version, 1);

    clock = new Date(NOW.getTime() + 5 * DAY_MS);
    assert.equal((await service.current(gun, 'timestamp' as TufRole)).version, 1, 'still fresh: served as stored');

    clock = new Date(NOW.getTime() + 13.5 * DAY_MS);
    const resigned = await service.current(gun, 'timestamp' as TufRole);
    assert.equal(resigned.version, 2);
    assert.ok(parseEnvelope(resigned.bytes).expiresAt.getTime() > clock.getTime() + 13 * DAY_MS);
    assert.equal((await service.current(gun, 'snapshot' as TufRole)).version, 1, 'the snapshot was still fresh');

    clock = new Date(NOW.getTime() + 3 * 365 * DAY_MS);
    const snapshot = await service.current(gun, 'snapshot' as TufRole);
    assert.equal(snapshot.version, 2);
    assert.ok(parseEnvelope(snapshot.bytes).expiresAt.getTime() > clock.getTime() + 2 * 365 * DAY_MS);
    const timestamp = await service.current(gun, 'timestamp' as TufRole);
    assert.equal(timestamp.version, 3, 'a new snapshot needs a new timestamp');
    const changes = await service.changes({ gun, changeId: 0, records: 10 });
    assert.deepEqual(changes.map((c) => c.version), [1, 2, 3]);
  });
});
