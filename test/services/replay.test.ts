import { describe, expect, it } from 'vitest';
import { dueTime } from '../../src/services/replay.js';

describe('pacing', () => {
  it('--speed keeps the recorded gaps divided by the factor; --rate spaces sends evenly', () => {
    const start = 1_000;
    expect(dueTime({ kind: 'speed', factor: 10 }, start, 5, 60_000 + 5_000, 60_000)).toBe(start + 500);
    expect(dueTime({ kind: 'speed', factor: 1 }, start, 1, 59_000, 60_000)).toBe(start);
    expect(dueTime({ kind: 'rate', perSecond: 100 }, start, 50, 0, 0)).toBe(start + 500);
    expect(dueTime({ kind: 'asap' }, start, 50, 9, 0)).toBe(start);
  });
});
