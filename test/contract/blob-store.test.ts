import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, it, type TestContext } from 'node:test';
import { WharfError } from '../../src/errors/wharf-error.ts';
import type { ErrorCode } from '../../src/errors/catalog.ts';
import { digestOf, hexOf, type Digest, type DigestAlgorithm } from '../../src/oci/digest.ts';
import type { BlobStore, UploadId } from '../../src/storage/blob-store.ts';
import { FsBlobStore } from '../../src/storage/fs/fs-blob-store.ts';
import { tmpDir } from '../helpers/tmp.ts';

/** A store with its driver's start-up recovery (FsBlobStore.cleanLeftovers). */

export interface BlobStoreHarness {
  store: BlobStore;
  /** Another instance on the same storage: what a restarted process, or another node, sees. */
  reopen(): Promise<BlobStore>;
  /** Removes everything the harness created. */
  close(): Promise<void>;
}

/** The contract every BlobStore driver passes; `factory` gives a fresh, empty store per test. */
export function blobStoreContract(name: string, factory: () => Promise<BlobStoreHarness>): void {
  async function setup(t: TestContext): Promise<BlobStoreHarness> {
    const harness = await factory();
    t.after(() => harness.close());
    return harness;
  }

  describe(`BlobStore contract: ${name}`, () => {
    describe('committed blobs', () => {
      it('reads a committed blob whole and by inclusive byte range', async (t) => {
        const { store } = await setup(t);
        const bytes = randomBytes(300_000);
        const digest = await push(store, bytes);
        assert.deepEqual(await readAll(await store.read(digest)), bytes);
        assert.deepEqual(await readAll(await store.read(digest, { start: 0, end: 0 })), bytes.subarray(0, 1));
        assert.deepEqual(await readAll(await store.read(digest, { start: 1000, end: 250_000 })), bytes.subarray(1000, 250_001));
        assert.deepEqual(await readAll(await store.read(digest, { start: 299_999, end: 299_999 })), bytes.subarray(299_999));
      });

      it('opens a committed blob for random access, readable after a delete until closed', async (t) => {
        const { store } = await setup(t);
        const bytes = randomBytes(70_000);
        const digest = await push(store, bytes);
        const reader = await store.openReader(digest);
        assert.equal(reader.size, bytes.length);
        await store.delete(digest);
        const into = Buffer.alloc(1000);
        assert.equal(await reader.read(into, 1000, 69_500), 500);
        assert.deepEqual(into.subarray(0, 500), bytes.subarray(69_500));
        assert.equal(await reader.read(into, 1000, 0), 1000);
        assert.deepEqual(into, bytes.subarray(0, 1000));
        assert.equal(await reader.read(into, 1000, 70_000), 0);
        await reader.close();
        await reader.close();
        await rejectsWith(store.openReader(digest), 'BLOB_UNKNOWN');
      });

      it('stat gives the size of a committed blob and undefined for an absent one', async (t) => {
        const { store } = await setup(t);
        const digest = await push(store, Buffer.from('hello'));
        assert.deepEqual(await store.stat(digest), { size: 5 });
        assert.equal(await store.stat(digestOf('absent')), undefined);
      });

      it('rejects reading an absent blob with BLOB_UNKNOWN', async (t) => {
        const { store } = await setup(t);
        await rejectsWith(store.read(digestOf('absent')), 'BLOB_UNKNOWN');
        await rejectsWith(store.read(digestOf('absent'), { start: 0, end: 1 }), 'BLOB_UNKNOWN');
      });

      it('rejects a range outside the blob with RANGE_INVALID', async (t) => {
        const { store } = await setup(t);
        const digest = await push(store, Buffer.from('0123456789'));
        await rejectsWith(store.read(digest, { start: 5, end: 10 }), 'RANGE_INVALID');
        await rejectsWith(store.read(digest, { start: 6, end: 5 }), 'RANGE_INVALID');
        assert.deepEqual(await store.stat(digest), { size: 10 });
      });

      it('lists every committed digest, without quarantined ones', async (t) => {
        const { store } = await setup(t);
        const a = await push(store, Buffer.from('a'));
        const b = await push(store, Buffer.from('b'), 'sha512');
        const c = await push(store, Buffer.from('c'));
        assert.equal(await store.quarantine(c), true);
        assert.deepEqual((await listAll(store)).sort(), [a, b].sort());
      });

      it('quarantine hides a blob and restore brings it back; both are idempotent', async (t) => {
        const { store } = await setup(t);
        const digest = await push(store, Buffer.from('kept aside'));
        assert.equal(await store.quarantine(digest), true);
        assert.equal(await store.quarantine(digest), false);
        assert.equal(await store.stat(digest), undefined);
        await rejectsWith(store.read(digest), 'BLOB_UNKNOWN');
        await store.restore(digest);
        await store.restore(digest);
        assert.equal((await readAll(await store.read(digest))).toString(), 'kept aside');
        assert.equal(await store.quarantine(digestOf('absent')), false);
        await store.restore(digestOf('absent'));
        assert.deepEqual(await listAll(store), [digest]);
      });

      it('delete removes a committed or quarantined blob and is idempotent', async (t) => {
        const { store } = await setup(t);
        const committed = await push(store, Buffer.from('one'));
        const quarantined = await push(store, Buffer.from('two'));
        await store.quarantine(quarantined);
        await store.delete(committed);
        await store.delete(committed);
        await store.delete(quarantined);
        await store.restore(quarantined);
        assert.equal(await store.stat(committed), undefined);
        assert.equal(await store.stat(quarantined), undefined);
        assert.deepEqual(await listAll(store), []);
      });

      it('delete after a quarantine spares a copy committed again meanwhile', async (t) => {
        const { store } = await setup(t);
        const digest = await push(store, Buffer.from('pushed again'));
        assert.equal(await store.quarantine(digest), true);
        await push(store, Buffer.from('pushed again'));
        await store.delete(digest);
        assert.equal((await readAll(await store.read(digest))).toString(), 'pushed again');
        await store.delete(digest);
        assert.equal(await store.stat(digest), undefined);
      });

      it('start-up recovery restores quarantined blobs', async (t) => {
        const harness = await setup(t);
        const digest = await push(harness.store, Buffer.from('still referenced'));
        await harness.store.quarantine(digest);
        const restarted = await harness.reopen();
        await restarted.cleanLeftovers();
        assert.equal((await readAll(await restarted.read(digest))).toString(), 'still referenced');
        assert.deepEqual(await listAll(restarted), [digest]);
      });
    });

    describe('uploads', () => {
      it('creates empty uploads with distinct URL-safe ids', async (t) => {
        const { store } = await setup(t);
        const [a, b] = [await store.uploads.create(), await store.uploads.create()];
        assert.notEqual(a, b);
        assert.match(a, /^[A-Za-z0-9._~-]+$/);
        assert.equal(await store.uploads.size(a), 0);
      });

      it('appends at 0 and then at the returned size, and commits the whole', async (t) => {
        const { store } = await setup(t);
        const parts = [randomBytes(70_000), randomBytes(1), randomBytes(2_000_000)];
        const id = await store.uploads.create();
        let offset = 0;
        for (const part of parts) {
          const size = await store.uploads.append(id, offset, chunked(part, 65_536));
          assert.equal(size, offset + part.length);
          offset = size;
        }
        assert.equal(await store.uploads.size(id), offset);
        const whole = Buffer.concat(parts);
        await store.uploads.commit(id, offset, digestOf(whole));
        assert.deepEqual(await readAll(await store.read(digestOf(whole))), whole);
        assert.equal(await store.uploads.size(id), undefined);
      });

      it('rejects an offset beyond the bytes held with RANGE_INVALID, changing nothing', async (t) => {
        const { store } = await setup(t);
        const id = await store.uploads.create();
        await store.uploads.append(id, 0, Readable.from([Buffer.from('abc')]));
        await rejectsWith(store.uploads.append(id, 4, Readable.from([Buffer.from('d')])), 'RANGE_INVALID');
        await rejectsWith(store.uploads.append(id, -1, Readable.from([Buffer.from('d')])), 'RANGE_INVALID');
        assert.equal(await store.uploads.size(id), 3);
        await store.uploads.commit(id, 3, digestOf('abc'));
      });

      it('discards the bytes after an earlier offset when appending there', async (t) => {
        const { store } = await setup(t);
        const id = await store.uploads.create();
        await store.uploads.append(id, 0, Readable.from([Buffer.from('hello world')]));
        assert.equal(await store.uploads.append(id, 6, Readable.from([Buffer.from('wharf')])), 11);
        assert.equal(await store.uploads.append(id, 5, Readable.from([Buffer.from('!')])), 6);
        await rejectsWith(store.uploads.commit(id, 6, digestOf('hello ')), 'DIGEST_INVALID');
        await store.uploads.commit(id, 6, digestOf('hello!'));
        assert.equal((await readAll(await store.read(digestOf('hello!')))).toString(), 'hello!');
      });

      it('propagates the error of a body that fails midway and keeps the previous size', async (t) => {
        const { store } = await setup(t);
        const id = await store.uploads.create();
        const head = randomBytes(100_000);
        await store.uploads.append(id, 0, Readable.from([head]));
        const gone = new Error('client went away');
        const body = trickle(chunkList(randomBytes(512 * 1024), 65_536), (self) => self.destroy(gone));
        await assert.rejects(store.uploads.append(id, head.length, body), gone);
        assert.equal(await store.uploads.size(id), head.length);
        const tail = randomBytes(10);
        await store.uploads.append(id, head.length, Readable.from([tail]));
        const whole = Buffer.concat([head, tail]);
        await store.uploads.commit(id, whole.length, digestOf(whole));
        assert.deepEqual(await readAll(await store.read(digestOf(whole))), whole);
      });

      it('stops on abort and keeps the previous size', async (t) => {
        const { store } = await setup(t);
        const id = await store.uploads.create();
        await store.uploads.append(id, 0, Readable.from([Buffer.from('kept')]));
        const controller = new AbortController();
        const body = trickle(chunkList(randomBytes(512 * 1024), 65_536), () => controller.abort());
        await assert.rejects(store.uploads.append(id, 4, body, controller.signal), { name: 'AbortError' });
        assert.equal(await store.uploads.size(id), 4);
        await rejectsWith(store.uploads.commit(id, 5, digestOf('kept!')), 'SIZE_INVALID');
        await store.uploads.commit(id, 4, digestOf('kept'));
      });

      it('answers unknown uploads with BLOB_UPLOAD_UNKNOWN and size undefined', async (t) => {
        const { store } = await setup(t);
        for (const id of ['5b8f2a0e-1b9c-4c1e-9f5e-2f5b8c1d9e00', '../../blobs', ''] as UploadId[]) {
          assert.equal(await store.uploads.size(id), undefined);
          await rejectsWith(store.uploads.append(id, 0, Readable.from([Buffer.from('x')])), 'BLOB_UPLOAD_UNKNOWN');
          await rejectsWith(store.uploads.commit(id, 0, digestOf('')), 'BLOB_UPLOAD_UNKNOWN');
          await store.uploads.abort(id);
        }
        assert.deepEqual(await listAll(store), []);
      });

      it('rejects a wrong digest with DIGEST_INVALID and still commits the right one afterwards', async (t) => {
        const { store } = await setup(t);
        const id = await store.uploads.create();
        await store.uploads.append(id, 0, Readable.from([Buffer.from('content')]));
        await rejectsWith(store.uploads.commit(id, 7, digestOf('other')), 'DIGEST_INVALID');
        await rejectsWith(store.uploads.commit(id, 7, digestOf('content', 'sha512').replace(/.$/, '0') as Digest), 'DIGEST_INVALID');
        assert.equal(await store.uploads.size(id), 7);
        assert.deepEqual(await listAll(store), []);
        await store.uploads.commit(id, 7, digestOf('content'));
        assert.deepEqual(await listAll(store), [digestOf('content')]);
      });

      it('commits an empty upload as the sha256 of nothing', async (t) => {
        const { store } = await setup(t);
        const id = await store.uploads.create();
        const empty = 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' as Digest;
        await store.uploads.commit(id, 0, empty);
        assert.deepEqual(await store.stat(empty), { size: 0 });
        assert.equal((await readAll(await store.read(empty))).length, 0);
      });

      it('commits with a sha512 digest', async (t) => {
        const { store } = await setup(t);
        const bytes = randomBytes(1_500_000);
        const digest = await push(store, bytes, 'sha512', 500_000);
        assert.match(digest, /^sha512:[a-f0-9]{128}$/);
        assert.deepEqual(await readAll(await store.read(digest)), bytes);
      });

      it('rejects a size beyond the bytes held with SIZE_INVALID and publishes only the first size bytes', async (t) => {
        const { store } = await setup(t);
        const id = await store.uploads.create();
        await store.uploads.append(id, 0, Readable.from([Buffer.from('abcdef')]));
        await rejectsWith(store.uploads.commit(id, 7, digestOf('abcdefg')), 'SIZE_INVALID');
        assert.equal(await store.uploads.size(id), 6);
        await store.uploads.commit(id, 4, digestOf('abcd'));
        assert.equal((await readAll(await store.read(digestOf('abcd')))).toString(), 'abcd');
      });

      it('commits on a restarted instance by re-hashing the stored bytes', async (t) => {
        const harness = await setup(t);
        const bytes = randomBytes(3_000_000);
        const id = await harness.store.uploads.create();
        await harness.store.uploads.append(id, 0, chunked(bytes.subarray(0, 1_000_000), 65_536));
        const restarted = await harness.reopen();
        await restarted.uploads.append(id, 1_000_000, chunked(bytes.subarray(1_000_000), 65_536));
        await rejectsWith(restarted.uploads.commit(id, bytes.length, digestOf(bytes.subarray(1))), 'DIGEST_INVALID');
        await restarted.uploads.commit(id, bytes.length, digestOf(bytes));
        assert.deepEqual(await readAll(await harness.store.read(digestOf(bytes))), bytes);
      });

      it('commits the bytes another instance wrote, not what this one last hashed', async (t) => {
        const harness = await setup(t);
        const other = await harness.reopen();
        const id = await harness.store.uploads.create();
        await harness.store.uploads.append(id, 0, Readable.from([Buffer.from('0123456789')]));
        await other.uploads.append(id, 5, Readable.from([Buffer.from('abcde')]));
        await rejectsWith(harness.store.uploads.commit(id, 10, digestOf('0123456789')), 'DIGEST_INVALID');
        await harness.store.uploads.commit(id, 10, digestOf('01234abcde'));
        assert.equal((await readAll(await harness.store.read(digestOf('01234abcde')))).toString(), '01234abcde');
      });

      it('commits a digest already stored by removing the upload', async (t) => {
        const { store } = await setup(t);
        const digest = await push(store, Buffer.from('twice'));
        const id = await store.uploads.create();
        await store.uploads.append(id, 0, Readable.from([Buffer.from('twice')]));
        await store.uploads.commit(id, 5, digest);
        assert.equal(await store.uploads.size(id), undefined);
        assert.deepEqual(await listAll(store), [digest]);
        assert.equal((await readAll(await store.read(digest))).toString(), 'twice');
      });

      it('abort removes the upload and is idempotent', async (t) => {
        const { store } = await setup(t);
        const id = await store.uploads.create();
        await store.uploads.append(id, 0, Readable.from([Buffer.from('bye')]));
        await store.uploads.abort(id);
        await store.uploads.abort(id);
        assert.equal(await store.uploads.size(id), undefined);
        await rejectsWith(store.uploads.commit(id, 3, digestOf('bye')), 'BLOB_UPLOAD_UNKNOWN');
        assert.deepEqual(await store.uploads.listStale(Date.now() + 60_000), []);
      });

      it('lists uploads last written before the cutoff as stale', async (t) => {
        const { store } = await setup(t);
        const idle = await store.uploads.create();
        const written = await store.uploads.create();
        await store.uploads.append(written, 0, Readable.from([Buffer.from('x')]));
        assert.deepEqual((await store.uploads.listStale(Date.now() + 60_000)).sort(), [idle, written].sort());
        assert.deepEqual(await store.uploads.listStale(Date.now() - 60_000), []);
      });
    });
  });
}

async function push(store: BlobStore, bytes: Buffer, algorithm: DigestAlgorithm = 'sha256', chunkSize = 65_536): Promise<Digest> {
  const id = await store.uploads.create();
  const size = await store.uploads.append(id, 0, chunked(bytes, chunkSize));
  const digest = digestOf(bytes, algorithm);
  await store.uploads.commit(id, size, digest);
  return digest;
}

function chunkList(bytes: Buffer, size: number): Buffer[] {
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) parts.push(bytes.subarray(i, i + size));
  return parts;
}

function chunked(bytes: Buffer, size: number): Readable {
  return Readable.from(chunkList(bytes, size));
}

/**
 * Gives `chunks` one per read, then calls `then` instead of ending. Chunks larger than any stream
 * buffer make each read mean that the chunk before has moved on towards storage.
 */
function trickle(chunks: Buffer[], then: (body: Readable) => void): Readable {
  const queue = [...chunks];
  return new Readable({
    read() {
      const next = queue.shift();
      if (next === undefined) then(this);
      else this.push(next);
    },
  });
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function listAll(store: BlobStore): Promise<Digest[]> {
  const digests: Digest[] = [];
  for await (const digest of store.list()) digests.push(digest);
  return digests;
}

async function rejectsWith(promise: Promise<unknown>, code: ErrorCode): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof WharfError, `expected a WharfError, got ${String(err)}`);
    assert.equal(err.code, code);
    return true;
  });
}

async function fsHarness(): Promise<BlobStoreHarness & { root: string }> {
  const dir = await tmpDir('wharf-blob-store-');
  return {
    root: dir.path,
    store: await FsBlobStore.open(dir.path),
    reopen: () => FsBlobStore.open(dir.path),
    close: () => dir.remove(),
  };
}

blobStoreContract('FsBlobStore', fsHarness);

describe('FsBlobStore layout', () => {
  it('publishes a commit read-only at blobs/<alg>/<2 hex>/<hex> and leaves no upload file', async (t) => {
    const harness = await fsHarness();
    t.after(() => harness.close());
    const digest = await push(harness.store, Buffer.from('layout'));
    const info = await stat(join(harness.root, 'blobs', 'sha256', hexOf(digest).slice(0, 2), hexOf(digest)));
    assert.equal(info.mode & 0o222, 0);
    assert.deepEqual(await readdir(join(harness.root, 'uploads')), []);
    assert.deepEqual(await readdir(join(harness.root, 'trash')), []);
  });

  it('skips names it did not write when listing, and cleanLeftovers empties tmp/', async (t) => {
    const harness = await fsHarness();
    t.after(() => harness.close());
    const digest = await push(harness.store, Buffer.from('real'));
    const fanOut = join(harness.root, 'blobs', 'sha256', hexOf(digest).slice(0, 2));
    await writeFile(join(fanOut, 'not-a-digest'), '');
    await writeFile(join(fanOut, 'ff'.repeat(32)), '');
    await mkdir(join(harness.root, 'blobs', 'md5', '00'), { recursive: true });
    await writeFile(join(harness.root, 'tmp', 'partial'), 'x');
    await writeFile(join(harness.root, 'trash', 'junk'), 'x');
    assert.deepEqual(await listAll(harness.store), [digest]);
    await harness.store.cleanLeftovers();
    assert.deepEqual(await readdir(join(harness.root, 'tmp')), []);
    assert.deepEqual(await listAll(harness.store), [digest]);
  });
});
