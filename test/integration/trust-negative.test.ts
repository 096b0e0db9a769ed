// Every case of shared/specs/notary-trust-api.md section 14 (numbers in test names), each asserting
// status, code, the INVALID_UPDATE detail where the spec gives it, and that nothing was stored.
// Cases marked [R] are where Wharf deliberately differs from the reference notary-server; only
// those assertions depend on WHARF_TRUST_IT=reference.
import assert from 'node:assert/strict';
import { constants as cryptoConstants } from 'node:crypto';
import { describe, it } from 'node:test';
import type { Response } from 'undici';
import { waitFor } from '../helpers/net.ts';
import {
  IS_REFERENCE,
  assertUnchanged,
  bytesOf,
  captureState,
  currentBytes,
  expectTrustError,
  forEachTrustBackend,
  getByChecksum,
  getByVersion,
  getRole,
  getServerKey,
  initRepo,
  nextClientSnapshot,
  nextTargets,
  publish,
  rootSpecOf,
  tufPath,
  uniqueGun,
  type TrustRepo,
  type TrustServer,
} from '../helpers/trust-api.ts';
import {
  canonicalJson,
  countValidSignatures,
  expiresIn,
  fileMeta,
  generateKey,
  generateRootKey,
  goExpiryText,
  parseEnvelope,
  randomPayload,
  rawFile,
  rootSigned,
  sha256Hex,
  signFile,
  snapshotSigned,
  targetEntry,
  targetsSigned,
  timestampSigned,
  type JsonObject,
  type SigningKey,
  type TufFile,
} from '../helpers/tuf.ts';

const IU = 'INVALID_UPDATE';
const THRESHOLD_TARGETS = { name: 'ErrBadTargets', msg: 'valid signatures did not meet threshold for targets' };
const LEAF = 'could not validate the path to a trusted root: unable to retrieve valid leaf certificates';

/** Sends a request that must be rejected, then proves the GUN's stored trust data is unchanged. */
async function expectRejected(
  s: TrustServer,
  gun: string,
  send: () => Promise<Response>,
  status: number,
  code: string,
  expected: Parameters<typeof expectTrustError>[3] = {},
  extraRoles: readonly string[] = [],
): Promise<void> {
  const before = await captureState(s, gun, extraRoles);
  await expectTrustError(await send(), status, code, expected);
  await assertUnchanged(s, gun, before);
}

/**
 * [R] A rejection Wharf adds where the reference answers otherwise (`referenceStatus`, default 200):
 * in reference mode only the reference's answer is checked.
 */
async function expectTightened(
  s: TrustServer,
  gun: string,
  send: () => Promise<Response>,
  code: string,
  expected: Parameters<typeof expectTrustError>[3] = {},
  referenceStatus = 200,
  extraRoles: readonly string[] = [],
): Promise<void> {
  if (IS_REFERENCE) {
    const res = await send();
    const text = await res.text();
    assert.equal(res.status, referenceStatus, `reference answered ${res.status}: ${text.slice(0, 400)}`);
    return;
  }
  await expectRejected(s, gun, send, 400, code, expected, extraRoles);
}

/** Replaces exactly one occurrence of `from` in the file's bytes (to write what a serializer would not). */
function patched(file: TufFile, from: string, to: string): TufFile {
  const text = file.bytes.toString('utf8');
  assert.equal(text.split(from).length, 2, `expected one ${from} in the file`);
  return rawFile(file.role, text.replace(from, to), file.version);
}

/** A repo whose targets declare targets/releases (key `releasesKey`, paths as given). */
async function repoWithReleases(s: TrustServer, prefix: string, paths: string[] = ['']): Promise<{ repo: TrustRepo; releasesKey: SigningKey }> {
  const repo = await initRepo(s, uniqueGun(s, prefix));
  const releasesKey = generateKey('ecdsa');
  const t3 = nextTargets(repo, { delegations: [{ name: 'targets/releases', keys: [releasesKey], paths }] });
  const res = await publish(s, repo.gun, [t3]);
  assert.equal(res.status, 200, await res.text());
  return { repo: { ...repo, targets: t3 }, releasesKey };
}

forEachTrustBackend('trust API rejections (spec 14)', (ctx) => {
  describe('transport and parsing', () => {
    it('1: a body that is not multipart → 400 MALFORMED_UPLOAD', async () => {
      const s = ctx.server;
      const repo = await initRepo(s, uniqueGun(s, 'neg1'));
      const t3 = nextTargets(repo);
      await expectRejected(s, repo.gun, () => s.fetch(tufPath(repo.gun), { method: 'POST', headers: { 'content-type': 'application/json' }, body: t3.bytes }), 400, 'MALFORMED_UPLOAD');
    });

    it('2: a part without a filename → 400 NO_FILENAME', async () => {
      const s = ctx.server;
      const repo = await initRepo(s, uniqueGun(s, 'neg2'));
      await expectRejected(s, repo.gun, () => publish(s, repo.gun, [{ body: nextTargets(repo).bytes }]), 400, 'NO_FILENAME');
    });

    for (const [n, name] of [['3', 'foo'], ['4', 'targets/Foo'], ['5', 'targets/a/../b']] as const) {
      it(`${n}: filename ${name} → 400 INVALID_ROLE`, async () => {
        const s = ctx.server;
        const repo = await initRepo(s, uniqueGun(s, `neg${n}`));
        const detail = name === 'foo' ? 'foo' : undefined;
        await expectRejected(s, repo.gun, () => publish(s, repo.gun, [{ filename: name, body: nextTargets(repo).bytes }]), 400, 'INVALID_ROLE', { detail });
      });
    }

    it('6: a part that is not JSON → 400 MALFORMED_JSON', async () => {
      const s = ctx.server;
      const repo = await initRepo(s, uniqueGun(s, 'neg6'));
      await expectRejected(s, repo.gun, () => publish(s, repo.gun, [rawFile('targets', '{"signed":{"_type":"Targets",')]), 400, 'MALFORMED_JSON');
    });

    it('7: version as a string or as 6.0, or expires not RFC 3339 → 400 MALFORMED_JSON', async () => {
      const s = ctx.server;
      const repo = await initRepo(s, uniqueGun(s, 'neg7'));
      const t3 = nextTargets(repo);
      const variants = [
        patched(t3, '"version":3}', '"version":"3"}'),
        patched(t3, '"version":3}', '"version":3.0}'),
        signFile('targets', { ...targetsSigned({ version: 3 }), expires: 'next tuesday' }, [repo.targetsKey]),
      ];
      for (const file of variants) await expectRejected(s, repo.gun, () => publish(s, repo.gun, [file]), 400, 'MALFORMED_JSON');
    });

    it('8: [R] a timestamp part over 1 MiB → 400 MALFORMED_UPLOAD', async () => {
      const s = ctx.server;
      const repo = await initRepo(s, uniqueGun(s, 'neg8a'));
      const signed = timestampSigned({ version: 9, snapshot: Buffer.from('x') });
      signed['pad'] = 'p'.repeat(1024 * 1024);
      const big = signFile('timestamp', signed, [generateKey('ecdsa')]);
      // The reference has no limit and ignores client timestamps (Q10, Q7).
      await expectTightened(s, repo.gun, () => publish(s, repo.gun, [big]), 'MALFORMED_UPLOAD');
    });

    it('8: [R] a request over the 100 MiB total cap → 400 MALFORMED_UPLOAD', { skip: IS_REFERENCE && 'the reference has no limit (Q10)' }, async () => {
      const s = ctx.server;
      const repo = await initRepo(s, uniqueGun(s, 'neg8b'));
      const signed = targetsSigned({ version: 3 });
      signed['pad'] = 'p'.repeat(101 * 1024 * 1024);
      const huge = signFile('targets', signed, [repo.targetsKey]);
      await expectRejected(s, repo.gun, () => publish(s, repo.gun, [huge]), 400, 'MALFORMED_UPLOAD');
    });

    it('9: [R] two parts for the same role → 400 MALFORMED_UPLOAD', async () => {
      const s = ctx.server;
      const repo = await initRepo(s, uniqueGun(s, 'neg9'));
      const a = nextTargets(repo, { targets: { a: targetEntry(randomPayload()) } });
      const b = nextTargets(repo, { targets: { b: targetEntry(randomPayload()) } });
      // The reference keeps the last part (6.1).
      await expectTightened(s, repo.gun, () => publish(s, repo.gun, [a, b]), 'MALFORMED_UPLOAD');
      // `targets` and `targets.json` name the same role (the suffix is removed, 6.1).
      const c = { filename: 'targets.json', body: nextTargets(repo, { targets: { c: targetEntry(randomPayload()) } }, 4).bytes };
      await expectTightened(s, repo.gun, () => publish(s, repo.gun, [nextTargets(repo, {}, 4), c]), 'MALFORMED_UPLOAD');
    });

    it('10: a delegation filename is taken whole: targets/releases publishes and is served under that name', async () => {
      const s = ctx.server;
      const { repo, releasesKey } = await repoWithReleases(s, 'neg10');
      const rel = signFile('targets/releases', targetsSigned({ version: 1, targets: { v1: targetEntry(randomPayload()) } }), [releasesKey]);
      const res = await publish(s, repo.gun, [rel]);
      assert.equal(res.status, 200, await res.text());
      assert.deepEqual(await currentBytes(s, repo.gun, 'targets/releases'), rel.bytes);
      assert.equal((await getRole(s, repo.gun, 'releases')).status, 404, 'nothing stored under the basename');
    });
  });

  describe('signatures and keys', () => {
    it('11: targets signed by a key that is not in root → IU ErrBadTargets threshold', async () => {
      const s = ctx.server;
      const repo = await initRepo(s, uniqueGun(s, 'neg11'));
      const file = signFile('targets', targetsSigned({ version: 3 }), [generateKey('ecdsa')]);
      await expectRejected(s, repo.gun, () => publish(s, repo.gun, [file]), 400, IU, THRESHOLD_TARGETS);
    });

    it('12: no signatures → IU ErrBadTargets "tuf: data has no signatures"', async () => {
      const s = ctx.server;
      const repo = await initRepo(s, uniqueGun(s, 'neg12'));
      const file = signFile('targets', targetsSigned({ version: 3 }), []);
      await expectRejected(s, repo.gun, () => publish(s, repo.gun, [file]), 400, IU, { name: 'ErrBadTargets', msg: 'tuf: data has no signatures' });
    });

    it('13: an ECDSA signature in DER instead of r‖s → IU threshold', async () => {
      const s = ctx.server;
      const repo = await initRepo(s, uniqueGun(s, 'neg13'));
      const file = signFile('targets', targetsSigned({ version: 3 }), [repo.targetsKey], { sign: { der: true } });
      await expectRejected(s, repo.gun, () => publish(s, repo.gun, [file]), 400, IU, THRESHOLD_TARGETS);
    });

    it('14: an unknown signature method → IU threshold', async () => {
      const s = ctx.server;
      const repo = await initRepo(s, uniqueGun(s, 'neg14'));
      const file = signFile('targets', targetsSigned({ version: 3 }), [repo.targetsKey], { sign: { method: 'ecdsa-sha3' } });
      await expectRejected(s, repo.gun, () => publish(s, repo.gun, [file]), 400, IU, THRESHOLD_TARGETS);
    });

    it('15: a signature over non-canonical (pretty) JSON → IU threshold', async () => {
      const s = ctx.server;
      const repo = await initRepo(s, uniqueGun(s, 'neg15'));
      const signed = targetsSigned({ version: 3 });
      const file = signFile('targets', signed, [repo.targetsKey], { signedMessage: Buffer.from(JSON.stringify(signed, null, 2)) });
      await expectRejected(s, repo.gun, () => publish(s, repo.gun, [file]), 400, IU, THRESHOLD_TARGETS);
    });

    it('16: method ecdsa on an RSA key, and RSA-PSS with a maximum-length salt → IU threshold', async () => {
      const s = ctx.server;
      const repo = await initRepo(s, uniqueGun(s, 'neg16'), { targetsKey: generateKey('rsa') });
      const wrongMethod = signFile('targets', targetsSigned({ version: 3 }), [repo.targetsKey], { sign: { method: 'ecdsa' } });
      await expectRejected(s, repo.gun, () => publish(s, repo.gun, [wrongMethod]), 400, IU, THRESHOLD_TARGETS);
      const maxSalt = signFile('targets', targetsSigned({ version: 3 }), [repo.targetsKey], { sign: { saltLength: cryptoConstants.RSA_PSS_SALTLEN_MAX_SIGN } });
      await expectRejected(s, repo.gun, () => publish(s, repo.gun, [maxSalt]), 400, IU, THRESHOLD_TARGETS);
    });

    it('17: a delegation signed by a key it does not list → IU ErrBadTargets threshold for targets/releases', async () => {
      const s = ctx.server;
      const { repo } = await repoWithReleases(s, 'neg17');
      const rel = signFile('targets/releases', targetsSigned({ version: 1 }), [generateKey('ecdsa')]);
      await expectRejected(s, repo.gun, () => publish(s, repo.gun, [rel]), 400, IU,
        { name: 'ErrBadTargets', msg: 'valid signatures did not meet threshold for targets/releases' }, ['targets/releases']);
    });

    it('18: a signature over UTF-16-sorted keys (astral characters) → IU threshold', async () => {
      const s = ctx.server;
      const repo = await initRepo(s, uniqueGun(s, 'neg18'));
      const p = targetEntry(randomPayload());
      const signed = targetsSigned({ version: 3, targets: { '\u{1F600}': p, '\uFF5E': p } });
      assert.notEqual(canonicalJson(signed, { utf16Order: true }), canonicalJson(signed), 'the two orders differ');
      const file = signFile('targets', signed, [repo.targetsKey], { utf16Order: true });
      await expectRejected(s, repo.gun, () => publish(s, repo.gun, [file]), 400, IU, THRESHOLD_TARGETS);
    });

    it('19: [R] a root whose keys map ID ≠ computed key ID → IU ErrBadRoot "key ID is not valid for key content"', async () => {
      const s = ctx.server;
      const repo = await initRepo(s, uniqueGun(s, 'neg19a'));
      const signed = rootSigned(rootSpecOf(repo, 2));
      const wrongId = sha256Hex('not the key');
      const keys = signed['keys'] as JsonObject;
      keys[wrongId] = keys[repo.targetsKey.id]!;
      delete keys[repo.targetsKey.id];
      ((signed['roles'] as JsonObject)['targets'] as JsonObject)['keyids'] = [wrongId];
      const root2 = signFile('root', signed, repo.rootKeys);
      // The reference accepts it and breaks the repository (Q3).
      await expectTightened(s, repo.gun, () => publish(s, repo.gun, [root2]), IU, { name: 'ErrBadRoot', msg: /key ID is not valid for key content/ });
    });

    it('19: [R] delegations.keys whose map ID ≠ computed key ID → IU ErrBadTargets "key ID is not valid for key content"', async () => {
      const s = ctx.server;
      const repo = await initRepo(s, uniqueGun(s, 'neg19b'));
      const dk = generateKey('ecdsa');
      const signed = targetsSigned({ version: 3, delegations: [{ name: 'targets/releases', keys: [dk] }] });
      const wrongId = sha256Hex('not the delegation key');
      const deleg = signed['delegations'] as { keys: JsonObject; roles: JsonObject[] };
      deleg.keys = { [wrongId]: deleg.keys[dk.id]! };
      deleg.roles[0]!['keyids'] = [wrongId];
      const file = signFile('targets', signed, [repo.targetsKey]);
      await expectTightened(s, repo.gun, () => publish(s, repo.gun, [file]), IU, { name: 'ErrBadTargets', msg: /key ID is not valid for key content/ });
    });

    it('20: an RSA targets key under 2048 bits → its signature is invalid → IU threshold', async () => {
      const s = ctx.server;
      const gun = uniqueGun(s, 'neg20');
      const repo = await initRepo(s, gun, { targetsKey: generateKey('rsa', { rsaBits: 1024 }), dryRun: true });
      await expectRejected(s, gun, () => publish(s, gun, [repo.root, repo.targets]), 400, IU, THRESHOLD_TARGETS);
    });
  });

  describe('root', () => {
    it('21: no stored root and none uploaded → IU ErrValidation', async () => {
      const s = ctx.server;
      const gun = uniqueGun(s, 'neg21');
      const repo = await initRepo(s, gun, { dryRun: true });
      await expectRejected(s, gun, () => publish(s, gun, [repo.targets]), 400, IU,
        { name: 'ErrValidation', msg: 'no pre-existing root and no root provided in update.' });
    });

    it('22: a root version jump (current 1, new 3) → IU ErrBadRoot', async () => {
      const s = ctx.server;
      const repo = await initRepo(s, uniqueGun(s, 'neg22'));
      const root3 = signFile('root', rootSigned(rootSpecOf(repo, 3)), repo.rootKeys);
      await expectRejected(s, repo.gun, () => publish(s, repo.gun, [root3]), 400, IU,
        { name: 'ErrBadRoot', msg: 'Root modifications must increment the version. Current 1, new 3' });
    });

    it('23: a first root at version 3 → IU ErrBadRoot (current counts as 1)', async () => {
      const s = ctx.server;
      const gun = uniqueGun(s, 'neg23');
      const repo = await initRepo(s, gun, { dryRun: true });
      const root3 = signFile('root', rootSigned(rootSpecOf(repo, 3)), repo.rootKeys);
      await expectRejected(s, gun, () => publish(s, gun, [root3, repo.targets]), 400, IU,
        { name: 'ErrBadRoot', msg: 'Root modifications must increment the version. Current 1, new 3' });
    });

    it('24: the same root version with different content → 400 VERSION', async () => {
      const s = ctx.server;
      const repo = await initRepo(s, uniqueGun(s, 'neg24'));
      const again = signFile('root', rootSigned({ ...rootSpecOf(repo, 1), expires: expiresIn(3000 * 86_400_000) }), repo.rootKeys);
      await expectRejected(s, repo.gun, () => publish(s, repo.gun, [again]), 400, 'VERSION', { detail: {} });
    });

    it('25: a root rotation signed only by the new root key → IU ErrBadRoot', async () => {
      const s = ctx.server;
      const repo = await initRepo(s, uniqueGun(s, 'neg25'));
      const k2 = await generateRootKey({ cn: repo.gun });
      const root2 = signFile('root', rootSigned({ ...rootSpecOf(repo, 2), root: { keys: [k2] } }), [k2]);
      await expectRejected(s, repo.gun, () => publish(s, repo.gun, [root2]), 400, IU,
        { name: 'ErrBadRoot', msg: 'could not rotate trust to a new trusted root: failed to validate data with current trusted certificates' });
    });

    it('26: root threshold 2 with one root key → IU ErrBadRoot', async () => {
      const s = ctx.server;
      const gun = uniqueGun(s, 'neg26');
      const repo = await initRepo(s, gun, { dryRun: true });
      const root = signFile('root', rootSigned({ ...rootSpecOf(repo, 1), root: { keys: repo.rootKeys, threshold: 2 } }), repo.rootKeys);
      await expectRejected(s, gun, () => publish(s, gun, [root, repo.targets]), 400, IU,
        { name: 'ErrBadRoot', msg: 'could not validate the path to a trusted root: failed to validate integrity of roots' });
    });

    it('27: a root missing the timestamp role → IU ErrBadRoot', async () => {
      const s = ctx.server;
      const repo = await initRepo(s, uniqueGun(s, 'neg27'));
      const signed = rootSigned(rootSpecOf(repo, 2));
      delete (signed['roles'] as JsonObject)['timestamp'];
      await expectRejected(s, repo.gun, () => publish(s, repo.gun, [signFile('root', signed, repo.rootKeys)]), 400, IU,
        { name: 'ErrBadRoot', msg: 'root type metadata invalid: missing timestamp role specification' });
    });

    it('28: a role listing a keyid absent from keys → IU ErrBadRoot', async () => {
      const s = ctx.server;
      const repo = await initRepo(s, uniqueGun(s, 'neg28'));
      const signed = rootSigned(rootSpecOf(repo, 2));
      delete (signed['keys'] as JsonObject)[repo.targetsKey.id];
      await expectRejected(s, repo.gun, () => publish(s, repo.gun, [signFile('root', signed, repo.rootKeys)]), 400, IU,
        { name: 'ErrBadRoot', msg: `root type metadata invalid: key ID ${repo.targetsKey.id} specified in targets without corresponding key` });
    });

    const badRootKeys: [string, (gun: string) => Promise<SigningKey>][] = [
      ['a certificate whose CN is not the GUN', (gun) => generateRootKey({ cn: `${gun}x` })],
      ['an expired certificate', (gun) => generateRootKey({ cn: gun, notBefore: new Date(Date.now() - 800 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000) })],
      ['a certificate not valid until in 2 days', (gun) => generateRootKey({ cn: gun, notBefore: new Date(Date.now() + 2 * 86_400_000) })],
      ['a plain ecdsa key', async () => generateKey('ecdsa')],
    ];
    for (const [what, make] of badRootKeys) {
      it(`29: a root key that is ${what} → IU ErrBadRoot "unable to retrieve valid leaf certificates"`, async () => {
        const s = ctx.server;
        const gun = uniqueGun(s, 'neg29');
        const repo = await initRepo(s, gun, { dryRun: true });
        const key = await make(gun);
        const root = signFile('root', rootSigned({ ...rootSpecOf(repo, 1), root: { keys: [key] } }), [key]);
        await expectRejected(s, gun, () => publish(s, gun, [root, repo.targets]), 400, IU, { name: 'ErrBadRoot', msg: LEAF });
      });
    }

    it('30: expired root metadata → IU ErrBadRoot "root expired at …"', async () => {
      const s = ctx.server;
      const gun = uniqueGun(s, 'neg30');
      const repo = await initRepo(s, gun, { dryRun: true });
      const root = signFile('root', rootSigned({ ...rootSpecOf(repo, 1), expires: '2020-01-01T00:00:00Z' }), repo.rootKeys);
      assert.equal(goExpiryText('2020-01-01T00:00:00Z'), 'Wed Jan 1 00:00:00 UTC 2020');
      await expectRejected(s, gun, () => publish(s, gun, [root, repo.targets]), 400, IU, { name: 'ErrBadRoot', msg: 'root expired at Wed Jan 1 00:00:00 UTC 2020' });
    });

    it('31: [R] a root listing a timestamp key the server does not hold → IU ErrBadRoot "no  timestamp keys exist on the server"', async () => {
      const s = ctx.server;
      const gun = uniqueGun(s, 'neg31');
      const repo = await initRepo(s, gun, { dryRun: true });
      const root = signFile('root', rootSigned({ ...rootSpecOf(repo, 1), timestamp: { keys: [generateKey('ecdsa')] } }), repo.rootKeys);
      await expectRejected(s, gun, () => publish(s, gun, [root, repo.targets]), 400, IU, { name: 'ErrBadRoot', msg: 'no  timestamp keys exist on the server' });
    });

    it('32: a root-only upload for a new repo → IU ErrValidation "targets must be loaded first"', async () => {
      const s = ctx.server;
      const gun = uniqueGun(s, 'neg32');
      const repo = await initRepo(s, gun, { dryRun: true });
      await expectRejected(s, gun, () => publish(s, gun, [repo.root]), 400, IU, { name: 'ErrValidation', msg: 'targets must be loaded first' });
    });
  });

  describe('targets and delegations', () => {
    it('33: targets with a version ≤ the stored one → 400 VERSION', async () => {
      const s = ctx.server;
      const repo = await initRepo(s, uniqueGun(s, 'neg33'));
      for (const version of [2, 1]) {
        const file = nextTargets(repo, { targets: { x: targetEntry(randomPayload()) } }, version);
        await expectRejected(s, repo.gun, () => publish(s, repo.gun, [file]), 400, 'VERSION', { detail: {} });
      }
    });

    it('34: targets whose expires is past or missing → IU ErrBadTargets "targets expired at …"', async () => {
      const s = ctx.server;
      const repo = await initRepo(s, uniqueGun(s, 'neg34a'));
      const past = nextTargets(repo, { expires: '2020-01-01T00:00:00Z' });
      await expectRejected(s, repo.gun, () => publish(s, repo.gun, [past]), 400, IU, { name: 'ErrBadTargets', msg: 'targets expired at Wed Jan 1 00:00:00 UTC 2020' });
      const signed = targetsSigned({ version: 3 });
      delete signed['expires'];
      const missing = signFile('targets', signed, [repo.targetsKey]);
      await expectRejected(s, repo.gun, () => publish(s, repo.gun, [missing]), 400, IU, { name: 'ErrBadTargets', msg: 'targets expired at Mon Jan 1 00:00:00 UTC 0001' });
    });

    it('34: an expired delegation → IU ErrBadTargets "… expired at …"', async () => {
      const s = ctx.server;
      const { repo, releasesKey } = await repoWithReleases(s, 'neg34b');
      const rel = signFile('targets/releases', targetsSigned({ version: 1, expires: '2020-01-01T00:00:00Z' }), [releasesKey]);
      await expectRejected(s, repo.gun, () => publish(s, repo.gun, [rel]), 400, IU,
        { name: 'ErrBadTargets', msg: /expired at Wed Jan 1 00:00:00 UTC 2020$/ }, ['targets/releases']);
    });

    it('35: _type Root in a targets part → IU ErrBadTargets', async () => {
      const s = ctx.server;
      const repo = await initRepo(s, uniqueGun(s, 'neg35'));
      const file = signFile('targets', { ...targetsSigned({ version: 3 }), _type: 'Root' }, [repo.targetsKey]);
      await expectRejected(s, repo.gun, () => publish(s, repo.gun, [file]), 400, IU,
        { name: 'ErrBadTargets', msg: 'targets type metadata invalid: expected type Targets, not Root' });
    });

    it('36: targets version 0 → IU ErrBadTargets "version cannot be less than one"', async () => {
      const s = ctx.server;
      const repo = await initRepo(s, uniqueGun(s, 'neg36'));
      const file = nextTargets(repo, {}, 0);
      await expectRejected(s, repo.gun, () => publish(s, repo.gun, [file]), 400, IU, { name: 'ErrBadTargets', msg: /version cannot be less than one/ });
    });

    it('37: an undeclared delegation (targets/nope, targets/releases/sub) → IU ErrBadTargets "delegation does not exist"', async () => {
      const s = ctx.server;
      const { repo, releasesKey } = await repoWithReleases(s, 'neg37');
      for (const name of ['targets/nope', 'targets/releases/sub']) {
        const file = signFile(name, targetsSigned({ version: 1 }), [releasesKey]);
        await expectRejected(s, repo.gun, () => publish(s, repo.gun, [file]), 400, IU,
          { name: 'ErrBadTargets', msg: `tuf: invalid role ${name}. delegation does not exist` }, [name]);
      }
    });

    it('38: targets declaring a grandchild (targets/a/b) → IU ErrBadTargets', async () => {
      const s = ctx.server;
      const repo = await initRepo(s, uniqueGun(s, 'neg38'));
      const file = nextTargets(repo, { delegations: [{ name: 'targets/a/b', keys: [generateKey('ecdsa')] }] });
      await expectRejected(s, repo.gun, () => publish(s, repo.gun, [file]), 400, IU,
        { name: 'ErrBadTargets', msg: 'targets type metadata invalid: delegation role targets/a/b invalid' });
    });

    it('39: a delegation threshold of 0 → IU ErrBadTargets', async () => {
      const s = ctx.server;
      const repo = await initRepo(s, uniqueGun(s, 'neg39'));
      const file = nextTargets(repo, { delegations: [{ name: 'targets/x', keys: [generateKey('ecdsa')], threshold: 0 }] });
      await expectRejected(s, repo.gun, () => publish(s, repo.gun, [file]), 400, IU,
        { name: 'ErrBadTargets', msg: 'targets type metadata invalid: invalid threshold specified for targets/x: 0 ' });
    });

    it('40: a delegation keyid missing from delegations.keys → IU ErrBadTargets', async () => {
      const s = ctx.server;
      const repo = await initRepo(s, uniqueGun(s, 'neg40'));
      const dk = generateKey('ecdsa');
      const signed = targetsSigned({ version: 3, delegations: [{ name: 'targets/x', keys: [dk] }] });
      (signed['delegations'] as JsonObject)['keys'] = {};
      await expectRejected(s, repo.gun, () => publish(s, repo.gun, [signFile('targets', signed, [repo.targetsKey])]), 400, IU,
        { name: 'ErrBadTargets', msg: `targets type metadata invalid: key ID ${dk.id} specified in targets/x without corresponding key` });
    });

    it('41: [R] a control character in a target name or custom string → IU ErrBadTargets', async () => {
      const s = ctx.server;
      const repo = await initRepo(s, uniqueGun(s, 'neg41'));
      const escape = (t: string) => t.replace(/[\u0000-\u001f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
      const names = nextTargets(repo, { targets: { 'bad\nname': targetEntry(randomPayload()) } });
      const custom = nextTargets(repo, { targets: { ok: targetEntry(randomPayload(), { custom: { note: 'tab\there' } }) } });
      // The files are valid JSON (escaped); the signatures cover the raw characters, as canonical JSON writes them.
      const [nameFile, customFile] = [names, custom].map((f) => rawFile('targets', escape(f.bytes.toString('utf8'))));
      if (IS_REFERENCE) {
        // The reference fails on the name only later, with ErrValidation (its re-serialisation chokes), and
        // accepts the control character inside `custom` (kept as raw JSON).
        await expectTrustError(await publish(s, repo.gun, [nameFile!]), 400, IU, { name: 'ErrValidation' });
        const res = await publish(s, repo.gun, [customFile!]);
        assert.equal(res.status, 200, await res.text());
        return;
      }
      for (const file of [nameFile!, customFile!]) {
        await expectRejected(s, repo.gun, () => publish(s, repo.gun, [file]), 400, IU, { name: 'ErrBadTargets' });
      }
    });

    it('42: a non-integer number in signed (custom {"n":1.5}) → IU ErrBadTargets "json: unsupported value: 1.5"', async () => {
      const s = ctx.server;
      const repo = await initRepo(s, uniqueGun(s, 'neg42'));
      const signed = targetsSigned({ version: 3, targets: { v1: targetEntry(randomPayload(), { custom: { n: 1.5 } }) } });
      const file = signFile('targets', signed, [repo.targetsKey], { allowFractions: true });
      await expectRejected(s, repo.gun, () => publish(s, repo.gun, [file]), 400, IU, { name: 'ErrBadTargets', msg: 'json: unsupported value: 1.5' });
    });

    it('43: [R] a delegation target outside the delegation paths → IU ErrBadTargets (the reference accepts it)', async () => {
      const s = ctx.server;
      const { repo, releasesKey } = await repoWithReleases(s, 'neg43', ['app/']);
      const rel = signFile('targets/releases', targetsSigned({ version: 1, targets: { 'other/v1': targetEntry(randomPayload()) } }), [releasesKey]);
      await expectTightened(s, repo.gun, () => publish(s, repo.gun, [rel]), IU, { name: 'ErrBadTargets' }, 200, ['targets/releases']);
    });

    it('43: [R] a child delegation whose paths leave the parent paths → IU ErrBadTargets (the reference accepts it)', async () => {
      const s = ctx.server;
      const { repo, releasesKey } = await repoWithReleases(s, 'neg43c', ['app/']);
      const rel = signFile('targets/releases', targetsSigned({ version: 1, delegations: [{ name: 'targets/releases/sub', keys: [generateKey('ecdsa')], paths: ['lib/'] }] }), [releasesKey]);
      await expectTightened(s, repo.gun, () => publish(s, repo.gun, [rel]), IU, { name: 'ErrBadTargets' }, 200, ['targets/releases']);
    });

    it('43: targets inside the delegation paths are accepted (paths are plain prefixes)', async () => {
      const s = ctx.server;
      const { repo, releasesKey } = await repoWithReleases(s, 'neg43ok', ['app/']);
      const rel = signFile('targets/releases', targetsSigned({ version: 1, targets: { 'app/v1': targetEntry(randomPayload()), 'app/x/y': targetEntry(randomPayload()) } }), [releasesKey]);
      const res = await publish(s, repo.gun, [rel]);
      assert.equal(res.status, 200, await res.text());
    });
  });

  describe('snapshot', () => {
    it('44: new targets with a snapshot listing the old targets hash → IU ErrBadSnapshot', async () => {
      const s = ctx.server;
      const repo = await initRepo(s, uniqueGun(s, 'neg44'), { clientSnapshot: true });
      const t3 = nextTargets(repo, { targets: { v1: targetEntry(randomPayload()) } });
      const snap = nextClientSnapshot(repo, []);
      await expectRejected(s, repo.gun, () => publish(s, repo.gun, [t3, snap]), 400, IU,
        {
          name: 'ErrBadSnapshot',
          // "expected" is the hash the snapshot lists. The reference checks sha256/sha512 in map order, so it
          // reports either; Wharf checks sha256 first.
          msg: IS_REFERENCE
            ? /^sha(256|512) checksum for targets did not match: expected [0-9a-f]+$/
            : `sha256 checksum for targets did not match: expected ${repo.targets.sha256}`,
        });
    });

    it('45: a snapshot without a targets sha256 → IU ErrBadSnapshot', async () => {
      const s = ctx.server;
      const repo = await initRepo(s, uniqueGun(s, 'neg45'), { clientSnapshot: true });
      const t3 = nextTargets(repo);
      const signed = snapshotSigned({ version: 3, files: [repo.root, t3] });
      delete (((signed['meta'] as JsonObject)['targets'] as JsonObject)['hashes'] as JsonObject)['sha256'];
      await expectRejected(s, repo.gun, () => publish(s, repo.gun, [t3, signFile('snapshot', signed, [repo.snapshotKey!])]), 400, IU,
        { name: 'ErrBadSnapshot', msg: 'snapshot type metadata invalid: missing targets sha256 checksum information' });
    });

    it('46: a snapshot version rollback → 400 VERSION', async () => {
      const s = ctx.server;
      const repo = await initRepo(s, uniqueGun(s, 'neg46'), { clientSnapshot: true });
      const t3 = nextTargets(repo);
      await expectRejected(s, repo.gun, () => publish(s, repo.gun, [t3, nextClientSnapshot(repo, [t3], 2)]), 400, 'VERSION', { detail: {} });
      await expectRejected(s, repo.gun, () => publish(s, repo.gun, [t3, nextClientSnapshot(repo, [t3], 1)]), 400, 'VERSION', { detail: {} });
    });

    it('47: [R] targets without a snapshot when the server lacks the snapshot key → IU ErrBadHierarchy (Missing snapshot)', async () => {
      const s = ctx.server;
      const repo = await initRepo(s, uniqueGun(s, 'neg47'), { clientSnapshot: true });
      const t3 = nextTargets(repo);
      const before = await captureState(s, repo.gun);
      const err = await expectTrustError(await publish(s, repo.gun, [t3]), 400, IU, {
        name: 'ErrBadHierarchy',
        msg: 'no snapshot was included in update and server does not hold current snapshot key for repository',
      });
      // Go serialises the error struct: Missing sits next to Msg inside Error (verified on the reference).
      assert.equal((err.detail as { Error?: { Missing?: unknown } }).Error?.Missing, 'snapshot');
      await assertUnchanged(s, repo.gun, before);
    });

    it('48: a snapshot signed by a key that is not root\'s snapshot key → IU ErrBadSnapshot threshold (client- and server-managed)', async () => {
      const s = ctx.server;
      for (const clientSnapshot of [true, false]) {
        const repo = await initRepo(s, uniqueGun(s, 'neg48'), { clientSnapshot });
        const t3 = nextTargets(repo);
        const snap = signFile('snapshot', snapshotSigned({ version: 5, files: [repo.root, t3] }), [generateKey('ecdsa')]);
        await expectRejected(s, repo.gun, () => publish(s, repo.gun, [t3, snap]), 400, IU,
          { name: 'ErrBadSnapshot', msg: 'valid signatures did not meet threshold for snapshot' });
      }
    });

    it('49: [R] a snapshot with the right hashes but a wrong length → IU ErrBadSnapshot', async () => {
      const s = ctx.server;
      const repo = await initRepo(s, uniqueGun(s, 'neg49'), { clientSnapshot: true });
      const t3 = nextTargets(repo);
      const signed = snapshotSigned({ version: 3, files: [repo.root, t3] });
      ((signed['meta'] as JsonObject)['targets'] as JsonObject)['length'] = t3.bytes.length + 1;
      const snap = signFile('snapshot', signed, [repo.snapshotKey!]);
      // The reference does not check lengths (Q8).
      await expectTightened(s, repo.gun, () => publish(s, repo.gun, [t3, snap]), IU, { name: 'ErrBadSnapshot' });
    });

    it('50: a client-supplied timestamp is ignored: 200 and the stored timestamp is server-signed', async () => {
      const s = ctx.server;
      const repo = await initRepo(s, uniqueGun(s, 'neg50'));
      const t3 = nextTargets(repo);
      const forged = signFile('timestamp', timestampSigned({ version: 77, snapshot: Buffer.from('x') }), [generateKey('ecdsa')]);
      const res = await publish(s, repo.gun, [t3, forged]);
      assert.equal(res.status, 200, await res.text());
      const ts = await currentBytes(s, repo.gun, 'timestamp');
      assert.notDeepEqual(ts, forged.bytes);
      assert.equal(parseEnvelope(ts).signed['version'], 2);
      assert.equal(countValidSignatures(ts, [repo.serverTimestampKey]), 1);
      assert.deepEqual((parseEnvelope(ts).signed['meta'] as JsonObject)['snapshot'], fileMeta(await currentBytes(s, repo.gun, 'snapshot')));
    });
  });

  describe('reads and other endpoints', () => {
    it('51: unknown GUN, role, checksum or version; 0.root.json; SHA-512 or uppercase hex → 404 METADATA_NOT_FOUND', async () => {
      const s = ctx.server;
      const repo = await initRepo(s, uniqueGun(s, 'neg51'));
      const sha512Hex = (await import('node:crypto')).createHash('sha512').update(repo.root.bytes).digest('hex');
      const misses: Promise<Response>[] = [
        getRole(s, uniqueGun(s, 'neg51-none'), 'root'),
        getRole(s, uniqueGun(s, 'neg51-none'), 'timestamp'),
        getRole(s, repo.gun, 'targets/nope'),
        getByChecksum(s, repo.gun, 'root', sha256Hex('nothing')),
        getByVersion(s, repo.gun, 'root', 9),
        getByVersion(s, repo.gun, 'root', 0),
        getByChecksum(s, repo.gun, 'root', sha512Hex),
        getByChecksum(s, repo.gun, 'root', repo.root.sha256.toUpperCase()),
      ];
      for (const res of misses) await expectTrustError(await res, 404, 'METADATA_NOT_FOUND');
    });

    it('52: [R] root.<sha256 of the targets file>.json → 404 (lookups are by gun, role and checksum)', async () => {
      const s = ctx.server;
      const repo = await initRepo(s, uniqueGun(s, 'neg52'));
      const res = await getByChecksum(s, repo.gun, 'root', repo.targets.sha256);
      if (IS_REFERENCE) {
        // Q12: the reference's memory store ignores the role and serves the targets file.
        assert.deepEqual(await bytesOf(res), repo.targets.bytes);
      } else {
        await expectTrustError(res, 404, 'METADATA_NOT_FOUND');
      }
    });

    it('53: a GUN containing *, GET targets.key and GET root.key → 404 METADATA_NOT_FOUND', async () => {
      const s = ctx.server;
      const repo = await initRepo(s, uniqueGun(s, 'neg53'));
      await expectTrustError(await getRole(s, `${s.host}/lab/a*b`, 'root'), 404, 'METADATA_NOT_FOUND');
      await expectTrustError(await s.fetch(tufPath(repo.gun, 'targets.key')), 404, 'METADATA_NOT_FOUND');
      await expectTrustError(await s.fetch(tufPath(repo.gun, 'root.key')), 404, 'METADATA_NOT_FOUND');
    });

    it('1.2: a GUN whose host is not this server → POST 400 INVALID_GUN, reads and key requests 404 METADATA_NOT_FOUND', async () => {
      const s = ctx.server;
      const own = await initRepo(s, uniqueGun(s, 'neg-gun-own'), { dryRun: true });
      const foreign = [`other.example:5000/lab/app`, `lab/app`, `${s.host}x/lab/app`];
      if (!IS_REFERENCE) foreign.push(`${s.host}/Lab/App`, `${s.host}/lab/${'a'.repeat(256)}`); // [R] lowercase repository path, 255 bytes
      for (const gun of foreign) {
        await expectTrustError(await publish(s, gun, [own.root, own.targets]), 400, 'INVALID_GUN');
        await expectTrustError(await getRole(s, gun, 'root'), 404, 'METADATA_NOT_FOUND');
        await expectTrustError(await s.fetch(tufPath(gun, 'timestamp.key')), 404, 'METADATA_NOT_FOUND');
      }
    });

    it('56: [R] an expired client-managed snapshot: GET timestamp.json and snapshot.json still serve metadata, never 500', async () => {
      const s = ctx.server;
      const repo = await initRepo(s, uniqueGun(s, 'neg56'), { clientSnapshot: true });
      const t3 = nextTargets(repo);
      const expires = Date.now() + 3000;
      const snap = signFile('snapshot', snapshotSigned({ version: 3, files: [repo.root, t3], expires: new Date(expires).toISOString() }), [repo.snapshotKey!]);
      const res = await publish(s, repo.gun, [t3, snap]);
      assert.equal(res.status, 200, await res.text());
      await waitFor('the snapshot to expire', async () => Date.now() > expires + 500, 10_000);
      const tsRes = await getRole(s, repo.gun, 'timestamp');
      if (IS_REFERENCE) {
        // Q4: the reference answers 500 UNKNOWN once the client snapshot has expired.
        await expectTrustError(tsRes, 500, 'UNKNOWN');
        return;
      }
      const ts = await bytesOf(tsRes);
      assert.deepEqual((parseEnvelope(ts).signed['meta'] as JsonObject)['snapshot'], fileMeta(snap.bytes), 'timestamp still points at the expired snapshot');
      assert.deepEqual(await currentBytes(s, repo.gun, 'snapshot'), snap.bytes);
    });
  });
});
