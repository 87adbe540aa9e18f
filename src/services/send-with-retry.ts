/**
 * Sending through a broker that may go away for a while (a restart, a
 * leader election, a dropped connection): a transient failure is tried again
 * with backoff until the delivery timeout, the broker's permanent refusals
 * are not retried at all. The Kafka producer is idempotent, so a batch sent
 * again after an unanswered attempt is written once.
 */
import { CancelledError, PermanentError, TransientError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { CacheLocked } from '../store/lock-wait.js';
import type { Broker, OutgoingRecord, RecordPosition } from '../transport/port.js';

export interface SendRetryPolicy {
  /** First wait after a failure; doubles up to `maxMs`. */
  initialMs: number;
  maxMs: number;
  /** How long a batch may keep failing before the command gives up (librdkafka's message.timeout.ms). */
  deliveryTimeoutMs: number;
}

export const DEFAULT_SEND_RETRY: SendRetryPolicy = { initialMs: 250, maxMs: 5_000, deliveryTimeoutMs: 300_000 };

/** A batch that kept failing transiently past the delivery timeout; `cause` is the last failure. */
export class DeliveryTimedOut extends TransientError {
  constructor(
    readonly lastError: Error,
    waitedMs: number,
  ) {
    super(`${lastError.message}; still failing after ${Math.round(waitedMs / 1000)}s of retries`, undefined, { cause: lastError });
  }
}

export interface SendPorts {
  broker: Pick<Broker, 'send'>;
  log: Logger;
  signal: AbortSignal;
  now: () => number;
  policy?: SendRetryPolicy;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

const defaultSleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

/** Sends `records` as one batch, retrying transient failures; throws a PermanentError, DeliveryTimedOut or CancelledError. */
export async function sendWithRetry(records: OutgoingRecord[], ports: SendPorts): Promise<RecordPosition[]> {
  const policy = ports.policy ?? DEFAULT_SEND_RETRY;
  const sleep = ports.sleep ?? defaultSleep;
  const started = ports.now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await ports.broker.send(records);
    } catch (error) {
      if (error instanceof PermanentError || !(error instanceof TransientError)) throw error;
      // The embedded broker's cache stayed locked for all of THOTH_CACHE_WAIT: that bound is the user's, not ours to extend.
      if (error instanceof CacheLocked) throw error;
      const waited = ports.now() - started;
      if (waited >= policy.deliveryTimeoutMs) throw new DeliveryTimedOut(error, waited);
      if (ports.signal.aborted) throw new CancelledError('interrupted while retrying a send');
      const delay = Math.min(policy.maxMs, policy.initialMs * 2 ** (attempt - 1), Math.max(0, policy.deliveryTimeoutMs - waited));
      ports.log.warn(`${error.message}; trying again in ${(delay / 1000).toFixed(1)}s (attempt ${attempt + 1})`);
      await sleep(delay, ports.signal);
      if (ports.signal.aborted) throw new CancelledError('interrupted while retrying a send');
    }
  }
}

/** A refusal about a topic (invalid, missing, forbidden) rather than a record: reported per line, the others still sent. */
export function isTopicRefusal(error: unknown): boolean {
  return error instanceof PermanentError && (error as { topicScoped?: boolean }).topicScoped === true;
}
