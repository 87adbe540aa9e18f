import { describe, expect, it } from 'vitest';
import { createTurns } from '../../src/core/turns.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('turns on a shared writer', () => {
  it('gives one turn at a time, in the order asked, and lets the holder ask again without waiting on itself', async () => {
    const turns = createTurns();
    const order: string[] = [];
    let release!: () => void;
    const batch = turns.task(async () => {
      release = await turns.take();
      order.push('batch');
      // A write of the batch's own (a send inside a handler) runs in the batch's turn.
      await turns.run(() => order.push('batch write'));
    });
    await tick();
    const reader = turns.run(() => order.push('reader'));
    await batch;
    await tick();
    expect(order).toEqual(['batch', 'batch write']);
    release();
    await reader;
    expect(order).toEqual(['batch', 'batch write', 'reader']);
  });

  it('stops waiting when its signal aborts, and the turn still passes to those after it', async () => {
    const turns = createTurns();
    const release = await turns.take();
    const stop = new AbortController();
    const given = turns.run(() => 'applied', stop.signal);
    const later = turns.run(() => 'later');
    stop.abort();
    await expect(given).rejects.toThrow();
    release();
    await expect(later).resolves.toBe('later');
  });
});
