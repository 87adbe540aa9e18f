import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { tempDbPath } from './temp.js';

const TOPIC = 'dev.thoth.solver.solved-package';
const LEASE = 10_000;
const T0 = 1_700_000_000_000;

describe('consumer-group leases on the embedded log', () => {
  it('lets one member hold a partition until its lease expires, then gives it to another with a new generation', () => {
    const store = openStore(tempDbPath(), { create: true });
    const a = store.acquireLease('g', TOPIC, 0, 'member-a', T0, LEASE);
    expect(a).toEqual({ owner: 'member-a', generation: 1 });
    expect(store.acquireLease('g', TOPIC, 0, 'member-b', T0 + LEASE - 1, LEASE)).toBeUndefined();
    // Another group, or another topic, is not affected.
    expect(store.acquireLease('other', TOPIC, 0, 'member-b', T0, LEASE)).toEqual({ owner: 'member-b', generation: 1 });
    // Renewing keeps it from expiring.
    expect(store.renewLease('g', TOPIC, 0, a!, T0 + 5_000, LEASE)).toBe(true);
    expect(store.acquireLease('g', TOPIC, 0, 'member-b', T0 + LEASE + 1, LEASE)).toBeUndefined();

    const b = store.acquireLease('g', TOPIC, 0, 'member-b', T0 + 5_000 + LEASE + 1, LEASE);
    expect(b).toEqual({ owner: 'member-b', generation: 2 });
    // The member that lost it can neither renew nor take it back while b's lease is live.
    expect(store.renewLease('g', TOPIC, 0, a!, T0 + 5_000 + LEASE + 2, LEASE)).toBe(false);
    expect(store.acquireLease('g', TOPIC, 0, 'member-a', T0 + 5_000 + LEASE + 2, LEASE)).toBeUndefined();
    store.close();
  });

  it('fences commits made under a lease that was taken over, and never moves the offset back', () => {
    const store = openStore(tempDbPath(), { create: true });
    const a = store.acquireLease('g', TOPIC, 0, 'member-a', T0, LEASE)!;
    expect(store.commitOffset('g', TOPIC, 0, 5, a)).toBe(true);
    const b = store.acquireLease('g', TOPIC, 0, 'member-b', T0 + LEASE + 1, LEASE)!;
    expect(store.commitOffset('g', TOPIC, 0, 7, b)).toBe(true);

    // a's late commits are refused, ahead of the group or behind it.
    expect(store.commitOffset('g', TOPIC, 0, 6, a)).toBe(false);
    expect(store.commitOffset('g', TOPIC, 0, 9, a)).toBe(false);
    expect(store.committedOffset('g', TOPIC, 0)).toBe(7);
    // Even the holder cannot move it backwards.
    expect(store.commitOffset('g', TOPIC, 0, 3, b)).toBe(false);
    expect(store.committedOffset('g', TOPIC, 0)).toBe(7);
    store.close();
  });

  it('gives a released partition to the next member at once, keeping the generation count', () => {
    const store = openStore(tempDbPath(), { create: true });
    const a = store.acquireLease('g', TOPIC, 0, 'member-a', T0, LEASE)!;
    store.releaseLease('g', TOPIC, 0, a);
    const b = store.acquireLease('g', TOPIC, 0, 'member-b', T0 + 1, LEASE);
    expect(b).toEqual({ owner: 'member-b', generation: 2 });
    // Releasing a lease one no longer holds changes nothing.
    store.releaseLease('g', TOPIC, 0, a);
    expect(store.acquireLease('g', TOPIC, 0, 'member-c', T0 + 2, LEASE)).toBeUndefined();
    expect(store.commitOffset('g', TOPIC, 0, 1, a)).toBe(false);
    expect(store.commitOffset('g', TOPIC, 0, 1, b)).toBe(true);
    store.close();
  });

  it('keeps a lapsed lease its own when nobody took it in between', () => {
    const store = openStore(tempDbPath(), { create: true });
    const a = store.acquireLease('g', TOPIC, 0, 'member-a', T0, LEASE)!;
    expect(store.acquireLease('g', TOPIC, 0, 'member-a', T0 + 3 * LEASE, LEASE)).toEqual(a);
    expect(store.commitOffset('g', TOPIC, 0, 2, a)).toBe(true);
    store.close();
  });
});
