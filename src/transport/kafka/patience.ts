/**
 * Waiting out a broker that is away (restarting, electing leaders) for as
 * long as the caller runs: the investigator's readers and consumers are
 * long-lived, and a broker restart is no reason for them to stop (SPEC §3:
 * transient failures are retried, never a crash). Failures that are not
 * transient (credentials, authorisation) still end it at once.
 */
import { sleep } from '../../core/sleep.js';
import { isRetriableKafkaFailure } from './errors.js';

export async function untilAnswered<T>(attempt: () => Promise<T>, signal: AbortSignal, onRetry?: (error: unknown) => void): Promise<T> {
  for (let round = 0; ; round++) {
    try {
      return await attempt();
    } catch (error) {
      if (signal.aborted || !isRetriableKafkaFailure(error)) throw error;
      onRetry?.(error);
      await sleep(Math.min(5_000, 200 * 2 ** Math.min(round, 5)), signal);
    }
  }
}
