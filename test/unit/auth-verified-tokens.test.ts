import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VerifiedTokens } from '../../src/auth/verified-tokens.ts';

describe('VerifiedTokens (the gate verifies each access token once)', () => {
  function clocked(options: { maxEntries?: number; ttlMs?: number } = {}) {
    let now = 1_000_000;
    return { cache: new VerifiedTokens<string>({ ...options, now: () => now }), advance: (ms: number) => { now += ms; }, now: () => now };
  }

  it('answers the same token for the same audience and key epoch', () => {
    const { cache, now } = clocked();
    cache.set('jwt-a', 'reg.example.com', 0, 'verified', now() + 900_000);
    assert.equal(cache.get('jwt-a', 'reg.example.com', 0), 'verified');
    // Another audience, or a key retired since (epoch moved), is verified afresh.
    assert.equal(cache.get('jwt-a', 'other.example.com', 0), undefined);
    cache.set('jwt-a', 'reg.example.com', 0, 'verified', now() + 900_000);
    assert.equal(cache.get('jwt-a', 'reg.example.com', 1), undefined);
    assert.equal(cache.get('jwt-b', 'reg.example.com', 0), undefined);
  });

  it('forgets a token when it expires or after ttlMs, whichever comes first', () => {
    const { cache, advance, now } = clocked({ ttlMs: 60_000 });
    cache.set('short', 'r', 0, 'v', now() + 10_000);
    cache.set('long', 'r', 0, 'v', now() + 900_000);
    advance(10_000);
    assert.equal(cache.get('short', 'r', 0), undefined);
    assert.equal(cache.get('long', 'r', 0), 'v');
    advance(50_000);
    assert.equal(cache.get('long', 'r', 0), undefined);
  });

  it('holds at most maxEntries, dropping the oldest', () => {
    const { cache, now } = clocked({ maxEntries: 2 });
    for (const jwt of ['one', 'two', 'three']) cache.set(jwt, 'r', 0, jwt, now() + 60_000);
    assert.equal(cache.get('one', 'r', 0), undefined);
    assert.equal(cache.get('two', 'r', 0), 'two');
    assert.equal(cache.get('three', 'r', 0), 'three');
  });
});
