/**
 * Waiting in tests for something another process, a broker or a cluster does in its own time: one poll, so that every
 * wait of the suite fails the same way, naming what it waited for.
 */
import { inspect } from 'node:util';
import { vi } from 'vitest';

/** A probe's answer while the condition does not hold yet. */
type NotYet = undefined | false;

/**
 * Asks `probe` every `intervalMs` until it answers something other than undefined or false, and gives that answer. A
 * probe that throws has not answered yet. After `timeoutMs` it fails with what was waited for (`what`, read then, so
 * it may name the last state seen) and the probe's last error, if any.
 */
export function eventually<T>(
  probe: () => T | NotYet | Promise<T | NotYet>,
  what: string | (() => string),
  { timeoutMs = 60_000, intervalMs = 50 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const timedOut = (cause?: unknown) =>
    new Error(
      `timed out after ${timeoutMs / 1000}s waiting for ${typeof what === 'function' ? what() : what}${
        cause === undefined ? '' : `; last error: ${cause instanceof Error ? cause.message : inspect(cause)}`
      }`,
    );
  return vi.waitFor(
    async () => {
      let value: T | NotYet;
      try {
        value = await probe();
      } catch (error) {
        throw timedOut(error);
      }
      if (value === undefined || value === false) throw timedOut();
      return value;
    },
    { timeout: timeoutMs, interval: intervalMs },
  );
}
