/**
 * What `thoth doctor` says of the broker's clock, checked as a reader would take it: the offset it shows (to a tenth
 * of a second) is within the reading's own bound of the offset the test set up. On one machine the offset is some
 * milliseconds either way; under load the bound grows, and "0.1 s behind (± 80 ms)" is as right as "0.0 s".
 */
import { expect } from 'vitest';

const DETAIL = /^this machine's clock is (\d+\.\d) s (ahead of|behind) the broker's \(± (\d+) ms\)$/;

/** The detail's offset (ms, positive when this machine is ahead) and bound, or fails the test when it is not one. */
export function brokerClockReading(detail: string): { shownMs: number; boundMs: number } {
  const match = DETAIL.exec(detail);
  expect(match, detail).not.toBeNull();
  const [, seconds, direction, bound] = match!;
  return { shownMs: Number(seconds) * 1000 * (direction === 'behind' ? -1 : 1), boundMs: Number(bound) };
}

/** The detail says this machine is `aheadMs` ahead of the broker (negative: behind), within its bound and the rounding shown. */
export function expectBrokerClock(detail: string, aheadMs = 0): void {
  const { shownMs, boundMs } = brokerClockReading(detail);
  expect(Math.abs(shownMs - aheadMs), detail).toBeLessThanOrEqual(boundMs + 50);
}
