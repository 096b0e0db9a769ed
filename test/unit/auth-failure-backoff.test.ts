import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FailureBackoff } from '../../src/auth/failure-backoff.ts';

describe('FailureBackoff', () => {
  function clocked(options: ConstructorParameters<typeof FailureBackoff>[0] = {}): { backoff: FailureBackoff; advance(ms: number): void } {
    let now = 1_000_000;
    return { backoff: new FailureBackoff({ ...options, now: () => now }), advance: (ms) => { now += ms; } };
  }

  it('lets the first failures through, then doubles the delay up to the cap', () => {
    const { backoff } = clocked({ freeFailures: 3, baseDelayMs: 100, maxDelayMs: 1000 });
    const delays = Array.from({ length: 9 }, () => backoff.fail(['source:a']));
    assert.deepEqual(delays, [0, 0, 0, 100, 200, 400, 800, 1000, 1000]);
  });

  it('takes the worst of its keys: a user name guessed from many addresses is slowed too', () => {
    const { backoff } = clocked({ freeFailures: 2, baseDelayMs: 100 });
    backoff.fail(['source:a', 'user:alice']);
    backoff.fail(['source:b', 'user:alice']);
    assert.equal(backoff.fail(['source:c', 'user:alice']), 100);
    assert.equal(backoff.fail(['source:d']), 0);
  });

  it('forgets failures as time passes (half-life)', () => {
    const { backoff, advance } = clocked({ freeFailures: 2, baseDelayMs: 100, halfLifeMs: 10_000 });
    for (let i = 0; i < 6; i++) backoff.fail(['source:a']);
    advance(60_000);
    // Six failures decayed by 2^-6 count as none: the next one is free again.
    assert.equal(backoff.fail(['source:a']), 0);
  });

  it('keeps at most maxKeys keys, forgetting the least recently failing', () => {
    const { backoff } = clocked({ freeFailures: 1, baseDelayMs: 100, maxKeys: 3 });
    backoff.fail(['source:old']);
    for (const key of ['source:b', 'source:c', 'source:d']) backoff.fail([key]);
    assert.equal(backoff.size, 3);
    // `old` was dropped: its second failure is a first one again.
    assert.equal(backoff.fail(['source:old']), 0);
    assert.equal(backoff.fail(['source:d']), 100);
  });
});
