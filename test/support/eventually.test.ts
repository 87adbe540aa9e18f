import { describe, expect, it } from 'vitest';
import { eventually } from './eventually.js';

describe('eventually (the suite’s one wait)', () => {
  it('gives the first answer that is neither undefined nor false, asking again meanwhile, errors included', async () => {
    let asked = 0;
    const answer = await eventually(
      async () => {
        asked++;
        if (asked === 2) throw new Error('not listening yet');
        return asked >= 4 ? `ready after ${asked}` : asked === 3 ? false : undefined;
      },
      'the answer',
      { timeoutMs: 5_000, intervalMs: 5 },
    );
    expect(answer).toBe('ready after 4');
    expect(asked).toBe(4);
  });

  it('fails after its time naming what it waited for, as it stood then, and the last error', async () => {
    let state = 'starting';
    const waiting = eventually(
      () => {
        state = 'still starting';
        throw new Error('connection refused');
      },
      () => `the server (${state})`,
      { timeoutMs: 200, intervalMs: 10 },
    );
    await expect(waiting).rejects.toThrow('timed out after 0.2s waiting for the server (still starting); last error: connection refused');
    await expect(eventually(() => false, 'nothing', { timeoutMs: 100, intervalMs: 10 })).rejects.toThrow(
      /^timed out after 0\.1s waiting for nothing$/,
    );
  });
});
