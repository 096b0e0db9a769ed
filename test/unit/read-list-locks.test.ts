import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ReadListLocks } from '../../src/acr/read-list-locks.ts';
import { isWharfError } from '../../src/errors/wharf-error.ts';
import { digestOf } from '../../src/oci/digest.ts';
import { parseRepoName, type Tag } from '../../src/oci/names.ts';
import type { AttributeIndex, Restriction } from '../../src/storage/metadata-store.ts';
import { DRIVERS, type OpenedStore } from '../helpers/metadata-drivers.ts';

const repo = parseRepoName('team/app');
const v1 = 'v1' as Tag;

/** A real SQLite store's restricted(), which a test can make fail or hold until released. */
class Source implements Pick<AttributeIndex, 'restricted'> {
  failing = false;
  calls = 0;
  finished = 0;
  #held: { release: () => void; done: Promise<void> } | undefined;
  constructor(private readonly attributes: AttributeIndex) {}

  async restricted(): Promise<Restriction[]> {
    this.calls++;
    if (this.failing) throw new Error('database down');
    const rows = await this.attributes.restricted();
    await this.#held?.done;
    this.finished++;
    return rows;
  }

  /** Holds every load that reads from now on until the returned function is called. */
  hold(): () => void {
    let release!: () => void;
    const done = new Promise<void>((resolve) => (release = resolve));
    this.#held = { release, done };
    return () => {
      this.#held = undefined;
      release();
    };
  }
}

function logger() {
  const warnings: string[] = [];
  return { warnings, log: { warn: (_obj: unknown, msg?: string) => void warnings.push(String(msg)), info: () => {} } };
}

function code(fn: () => void): string | undefined {
  try {
    fn();
  } catch (err) {
    return isWharfError(err) ? err.code : 'not a WharfError';
  }
  return undefined;
}

describe('ReadListLocks', () => {
  let opened: OpenedStore;
  let source: Source;
  let locks: ReadListLocks | undefined;
  const digest = digestOf('manifest');

  beforeEach(async () => {
    opened = await DRIVERS.sqlite!();
    source = new Source(opened.store.attributes);
    const bytes = Buffer.from('manifest');
    await opened.store.manifests.put({ repo, digest, mediaType: 'application/vnd.oci.image.manifest.v1+json', bytes, blobRefs: [], manifestRefs: [], tag: v1 });
  });
  afterEach(async () => {
    locks?.close();
    await opened.close();
  });

  it('fails closed until the first load: checks throw UNAVAILABLE, loaded() is the load to wait for', async () => {
    await opened.store.attributes.update({ kind: 'tag', repo, tag: v1 }, { readEnabled: false });
    const { log } = logger();
    locks = new ReadListLocks(source, { refreshMs: 60_000, log });
    assert.equal(code(() => locks!.requireReadable(repo, v1)), 'UNAVAILABLE');
    const loading = locks.loaded();
    assert.ok(loading);
    await loading;
    assert.equal(locks.loaded(), undefined);
    assert.equal(code(() => locks!.requireReadable(repo, v1)), 'DENIED');
    assert.equal(code(() => locks!.requireReadable(repo, undefined, digest)), undefined);
  });

  it('a first load that fails answers 503 UNAVAILABLE and is tried again by the next read', async () => {
    source.failing = true;
    const { log, warnings } = logger();
    locks = new ReadListLocks(source, { refreshMs: 60_000, log });
    locks.start();
    await assert.rejects(locks.loaded()!, (err: unknown) => isWharfError(err) && err.code === 'UNAVAILABLE');
    assert.equal(warnings.length, 1);
    source.failing = false;
    await locks.loaded();
    assert.equal(code(() => locks!.requireReadable(repo, v1, digest)), undefined);
  });

  it('a failed reload keeps the last snapshot and warns once; reloads pick up changes made elsewhere', async () => {
    const { log, warnings } = logger();
    locks = new ReadListLocks(source, { refreshMs: 20, log });
    locks.start();
    await locks.loaded();
    await opened.store.attributes.update({ kind: 'repository', repo }, { readEnabled: false });
    const deadline = Date.now() + 5_000;
    while (code(() => locks!.requireReadable(repo)) === undefined && Date.now() < deadline) await sleep(10);
    assert.equal(code(() => locks!.requireReadable(repo)), 'DENIED');
    source.failing = true;
    const failedFrom = source.calls;
    while (source.calls < failedFrom + 3) await sleep(10);
    assert.equal(code(() => locks!.requireReadable(repo)), 'DENIED');
    assert.deepEqual(warnings, ['read and list locks could not be reloaded; keeping the last snapshot']);
  });

  it('applies this node\'s own change at once, and a reload that read before it does not undo it', async () => {
    const { log } = logger();
    locks = new ReadListLocks(source, { refreshMs: 60_000, log });
    await locks.loaded();
    // A background reload reads the rows (nothing restricted yet) and is held before it installs them.
    const release = source.hold();
    locks.start();
    while (source.calls < 2) await sleep(5);
    await opened.store.attributes.update({ kind: 'tag', repo, tag: v1 }, { readEnabled: false, listEnabled: false });
    locks.changed({ kind: 'tag', repo, tag: v1 }, { readEnabled: false, listEnabled: false });
    assert.equal(code(() => locks!.requireReadable(repo, v1)), 'DENIED');
    assert.equal(locks.isTagListed(repo, v1, digest), false);
    release();
    while (source.finished < 2) await sleep(5);
    await sleep(5);
    assert.equal(code(() => locks!.requireReadable(repo, v1)), 'DENIED');
    assert.equal(locks.isTagListed(repo, v1, digest), false);
    // Other attributes change nothing here; lifting the lock frees the tag at once.
    locks.changed({ kind: 'manifest', repo, digest }, { writeEnabled: false });
    assert.equal(code(() => locks!.requireReadable(repo, undefined, digest)), undefined);
    locks.changed({ kind: 'tag', repo, tag: v1 }, { readEnabled: true });
    assert.equal(code(() => locks!.requireReadable(repo, v1)), undefined);
    assert.equal(locks.isTagListed(repo, v1, digest), false);
  });
});
