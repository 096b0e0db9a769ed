// Concurrent publishes of the same next version to one GUN (spec 6.3 step 5): exactly one wins, the
// other gets 400 VERSION, and nothing of the loser is stored — on one server per backend, and on two
// Wharf processes sharing one PostgreSQL database.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Response } from 'undici';
import { freePort } from '../helpers/net.ts';
import { createTestDatabase } from '../helpers/postgres.ts';
import {
  IS_REFERENCE,
  bytesOf,
  currentBytes,
  expectTrustError,
  forEachTrustBackend,
  TRUST_ENABLED_ENV,
  getByChecksum,
  getByVersion,
  getServerKey,
  initRepo,
  nextTargets,
  publish,
  publishOk,
  uniqueGun,
  type TrustRepo,
  type TrustServer,
} from '../helpers/trust-api.ts';
import { startWharf, type WharfInstance } from '../helpers/wharf.ts';
import { countValidSignatures, fileMeta, parseEnvelope, randomPayload, targetEntry, type JsonObject, type TufFile } from '../helpers/tuf.ts';

const ROUNDS = 5;

/**
 * Races two different targets files of the same next version through `via[0]` and `via[1]`; asserts
 * one 200 and one 400 VERSION, then that every server serves the winner's complete, consistent state.
 */
async function race(repo: TrustRepo, via: readonly [TrustServer, TrustServer], round: number): Promise<TufFile> {
  const version = repo.targets.version + 1;
  const files = [0, 1].map((i) => nextTargets(repo, { targets: { [`r${round}-${i}`]: targetEntry(randomPayload()) } }, version));
  const beforeSnap = parseEnvelope(await currentBytes(via[0], repo.gun, 'snapshot')).signed['version'] as number;
  const beforeTs = parseEnvelope(await currentBytes(via[0], repo.gun, 'timestamp')).signed['version'] as number;
  const results: Response[] = await Promise.all(files.map((f, i) => publish(via[i]!, repo.gun, [f!])));
  const statuses = results.map((r) => r.status);
  const winner = statuses.indexOf(200);
  const loser = 1 - winner;
  assert.ok(winner >= 0 && statuses[loser] === 400, `round ${round}: expected one 200 and one 400, got ${statuses.join(', ')}`);
  await results[winner]!.arrayBuffer();
  await expectTrustError(results[loser]!, 400, 'VERSION', { detail: {} });
  const won = files[winner]!;
  for (const s of via) {
    const targets = await currentBytes(s, repo.gun, 'targets');
    assert.deepEqual(targets, won.bytes, 'the winner is current');
    assert.deepEqual(await bytesOf(await getByVersion(s, repo.gun, 'targets', version)), won.bytes);
    const lost = await getByChecksum(s, repo.gun, 'targets', files[loser]!.sha256);
    assert.equal(lost.status, 404, 'nothing of the loser is stored');
    await lost.arrayBuffer();
    const snapshot = await currentBytes(s, repo.gun, 'snapshot');
    const snap = parseEnvelope(snapshot).signed;
    assert.equal(snap['version'], beforeSnap + 1, 'exactly one snapshot was added');
    assert.deepEqual((snap['meta'] as JsonObject)['targets'], fileMeta(won.bytes), 'the snapshot lists the winner');
    assert.equal(countValidSignatures(snapshot, [repo.serverSnapshotKey!]), 1);
    const timestamp = await currentBytes(s, repo.gun, 'timestamp');
    const ts = parseEnvelope(timestamp).signed;
    assert.equal(ts['version'], beforeTs + 1, 'exactly one timestamp was added');
    assert.deepEqual((ts['meta'] as JsonObject)['snapshot'], fileMeta(snapshot), 'the timestamp lists the current snapshot');
    assert.equal(countValidSignatures(timestamp, [repo.serverTimestampKey]), 1);
  }
  return won;
}

forEachTrustBackend('concurrent publishes to one GUN', (ctx) => {
  it(`two publishes of the same next targets version: one 200, one 400 VERSION, nothing half-written (${ROUNDS} rounds)`, async () => {
    const s = ctx.server;
    let repo = await initRepo(s, uniqueGun(s, 'race'));
    for (let round = 0; round < ROUNDS; round += 1) repo = { ...repo, targets: await race(repo, [s, s], round) };
  });

  it('two first publishes (root v1 + targets v2) of different roots: exactly one root wins', async () => {
    const s = ctx.server;
    const gun = uniqueGun(s, 'race-init');
    const repos = [await initRepo(s, gun, { dryRun: true }), await initRepo(s, gun, { dryRun: true })];
    const results = await Promise.all(repos.map((r) => publish(s, gun, [r.root, r.targets])));
    const statuses = results.map((r) => r.status).sort();
    assert.deepEqual(statuses, [200, 400], `got ${statuses.join(', ')}`);
    const winner = results.findIndex((r) => r.status === 200);
    await results[winner]!.arrayBuffer();
    // The loser either raced the winner's write (VERSION) or was validated after it, when its root is a
    // rotation the stored root did not sign (the reference answers both ways, depending on timing).
    const text = await results[1 - winner]!.text();
    const err = (JSON.parse(text) as { errors: { code: string; detail?: { Name?: string; Error?: { Msg?: string } } }[] }).errors[0]!;
    assert.ok(
      err.code === 'VERSION' ||
        (err.code === 'INVALID_UPDATE' && err.detail?.Name === 'ErrBadRoot' &&
          err.detail.Error?.Msg === 'could not rotate trust to a new trusted root: failed to validate data with current trusted certificates'),
      `loser: ${text}`,
    );
    assert.deepEqual(await currentBytes(s, gun, 'root'), repos[winner]!.root.bytes);
    assert.deepEqual(await currentBytes(s, gun, 'targets'), repos[winner]!.targets.bytes);
    assert.equal((await getByChecksum(s, gun, 'root', repos[1 - winner]!.root.sha256)).status, 404);
  });
});

describe('two Wharf processes sharing one PostgreSQL database', { skip: IS_REFERENCE && 'the reference runs with memory storage' }, () => {
  let database: { url: string; drop(): Promise<void> } | undefined;
  const nodes: WharfInstance[] = [];

  before(async () => {
    database = await createTestDatabase();
    const ports = [await freePort(), await freePort()];
    const env = {
      // Both nodes answer for both names (as behind one load balancer name), and share the key-encryption
      // key, as nodes of one deployment do; each keeps its own data directory.
      WHARF_TRUST__HOSTS: ports.map((p) => `127.0.0.1:${p}`).join(','),
      WHARF_TRUST__KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      ...TRUST_ENABLED_ENV,
    };
    for (const port of ports) nodes.push(await startWharf({ metadata: database.url, port, env }));
  });

  after(async () => {
    for (const n of nodes.reverse()) await n.stop();
    await database?.drop();
  });

  it('hands out one pending server key across nodes and lets either node publish', async () => {
    const [a, b] = [nodes[0]!, nodes[1]!];
    const gun = uniqueGun(a, 'pair-keys');
    const fromA = await getServerKey(a, gun, 'timestamp');
    const fromB = await getServerKey(b, gun, 'timestamp');
    assert.equal(fromB.id, fromA.id, '[R] one pending key per (GUN, role), whichever node is asked');
    const repo = await initRepo(b, gun);
    assert.deepEqual(await currentBytes(a, gun, 'root'), repo.root.bytes);
    assert.equal(countValidSignatures(await currentBytes(a, gun, 'timestamp'), [repo.serverTimestampKey]), 1);
  });

  it(`one publish to each node for the same next version: one 200, one 400 VERSION, both nodes agree (${ROUNDS} rounds)`, async () => {
    const [a, b] = [nodes[0]!, nodes[1]!];
    let repo = await initRepo(a, uniqueGun(a, 'pair-race'));
    for (let round = 0; round < ROUNDS; round += 1) {
      const via = round % 2 === 0 ? ([a, b] as const) : ([b, a] as const);
      repo = { ...repo, targets: await race(repo, via, round) };
    }
    await publishOk(b, repo.gun, [nextTargets(repo)]);
  });
});
