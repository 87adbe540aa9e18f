/**
 * Backoff for transient failures: capped exponential with jitter, honouring
 * a Retry-After, and sleeping in slices that keep the consumer's group
 * membership alive (a long sleep without heartbeats would get the partition
 * taken away and the record handed to someone else mid-retry).
 */
import { CancelledError } from '../core/errors.js';
import type { RecordContext } from '../transport/port.js';
import { sleep } from '../core/sleep.js';

export interface RetryPolicy {
  /** First delay. */
  baseMs: number;
  /** Longest delay. */
  capMs: number;
  /** How many untyped errors a record may raise before it is dead-lettered as InternalError. */
  unexpectedAttempts: number;
  /** Longest sleep between two heartbeats. */
  heartbeatMs: number;
  /**
   * How many attempts a record that keeps failing transiently gets before it
   * is dead-lettered (RetriesExhausted). Unset: it is retried until it
   * passes, its partition waiting, as the broker's order requires.
   */
  maxAttempts?: number;
}

export const DEFAULT_RETRY: RetryPolicy = { baseMs: 500, capMs: 30_000, unexpectedAttempts: 3, heartbeatMs: 3_000 };

/** Delay before attempt `attempt + 1`: base * 2^(attempt-1), capped, with up to 50% jitter; at least Retry-After. */
export function retryDelay(policy: RetryPolicy, attempt: number, retryAfterMs?: number, random: () => number = Math.random): number {
  const exponential = Math.min(policy.capMs, policy.baseMs * 2 ** Math.min(attempt - 1, 30));
  const jittered = Math.round(exponential * (0.5 + random() * 0.5));
  return Math.max(jittered, Math.min(retryAfterMs ?? 0, policy.capMs * 4));
}

/** Sleeps `ms`, heartbeating every `heartbeatMs`; throws CancelledError as soon as the consumer stops. */
export async function sleepWithHeartbeat(ms: number, context: RecordContext, heartbeatMs = DEFAULT_RETRY.heartbeatMs): Promise<void> {
  // Nothing stays open while this record waits: the records before it in its batch are committed now.
  await context.flush?.();
  let left = ms;
  while (left > 0) {
    if (context.signal.aborted) throw new CancelledError('stopped while waiting to retry');
    const slice = Math.min(left, heartbeatMs);
    await sleep(slice, context.signal);
    left -= slice;
    if (!context.signal.aborted) await context.heartbeat().catch(() => undefined);
  }
  if (context.signal.aborted) throw new CancelledError('stopped while waiting to retry');
}
