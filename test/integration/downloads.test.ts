import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startWharf, type WharfInstance } from '../helpers/wharf.ts';
import { pushBlob, sha256, uniqueRepo } from '../helpers/oci.ts';

/** Downloads reuse a few buffers across requests; these tests hunt for bytes of one response in another. */
describe('blob downloads with reused buffers', () => {
  let reg: WharfInstance;
  const repo = uniqueRepo('downloads');
  const blobs = Array.from({ length: 4 }, () => randomBytes(5 * 1024 * 1024 + 12345));
  before(async () => {
    reg = await startWharf();
    for (const blob of blobs) await pushBlob(reg, repo, blob);
  });
  after(() => reg.stop());

  it('serves every byte right to concurrent downloads of different blobs', async () => {
    const rounds = await Promise.all(
      [...blobs, ...blobs].map(async (blob) => {
        const res = await reg.fetch(`/v2/${repo}/blobs/${sha256(blob)}`);
        return sha256(Buffer.from(await res.arrayBuffer())) === sha256(blob);
      }),
    );
    assert.deepEqual(rounds, rounds.map(() => true));
  });

  it('survives clients that hang up mid-body, and serves the next download intact', async () => {
    for (const blob of blobs) {
      const controller = new AbortController();
      const res = await reg.fetch(`/v2/${repo}/blobs/${sha256(blob)}`, { signal: controller.signal });
      const reader = res.body!.getReader();
      await reader.read();
      controller.abort();
      await reader.cancel().catch(() => {});
    }
    const ranged = await reg.fetch(`/v2/${repo}/blobs/${sha256(blobs[1]!)}`, { headers: { range: 'bytes=1048570-3145740' } });
    assert.equal(ranged.status, 206);
    assert.deepEqual(Buffer.from(await ranged.arrayBuffer()), blobs[1]!.subarray(1048570, 3145741));
    const whole = await reg.fetch(`/v2/${repo}/blobs/${sha256(blobs[0]!)}`);
    assert.equal(sha256(Buffer.from(await whole.arrayBuffer())), sha256(blobs[0]!));
    assert.equal((await reg.fetch('/readyz')).status, 200);
  });
});
