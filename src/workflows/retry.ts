/**
 * How the Kubernetes adapter reacts to a failed request: 5xx, 429, timeouts
 * and dropped connections are tried again with capped exponential backoff
 * (a server's Retry-After wins), up to a bounded number of attempts; other
 * 4xx fail at once with the server's reason. Kept apart from kube.ts so that
 * it is plain code without the client library.
 */
import { CancelledError, PermanentError, TransientError } from '../cli/errors.js';
import type { Logger } from '../cli/log.js';
import { sleep } from '../cli/sleep.js';

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  attempts: number;
  baseMs: number;
  capMs: number;
  /** One request's time limit. */
  requestTimeoutMs: number;
}

/** The longest wait a server's Retry-After gets (a longer one would look like a hang). */
export const RETRY_AFTER_LIMIT_MS = 60_000;

export const DEFAULT_RETRY: RetryPolicy = { attempts: 6, baseMs: 250, capMs: 8_000, requestTimeoutMs: 30_000 };

/** The server's answer when it answered: status code, headers, and its Status object when the body was one. */
export interface HttpFailure {
  status: number;
  headers: Record<string, string>;
  reason?: string;
  message?: string;
}

export type FailureClass =
  | { kind: 'transient'; description: string; retryAfterMs?: number }
  | { kind: 'permanent'; status: number; errorClass: string; description: string };

const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'EHOSTUNREACH', 'ECONNABORTED', 'UND_ERR_SOCKET']);

/** Retry-After as seconds or an HTTP date, in milliseconds from now; undefined when absent or unreadable. */
export function retryAfterMs(header: string | undefined, now: number = Date.now()): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export function classifyHttp(failure: HttpFailure): FailureClass {
  const said = failure.message ?? failure.reason ?? `HTTP ${failure.status}`;
  if (failure.status === 429 || failure.status >= 500) {
    return { kind: 'transient', description: `HTTP ${failure.status}: ${said}`, retryAfterMs: retryAfterMs(failure.headers['retry-after']) };
  }
  return { kind: 'permanent', status: failure.status, errorClass: failure.reason ?? `HTTP${failure.status}`, description: said };
}

/** Network-level failures (no answer): connection reset or refused, timeouts. Undefined when it is not one. */
export function classifyNetwork(error: unknown): FailureClass | undefined {
  if (!(error instanceof Error)) return undefined;
  const code = (error as { code?: unknown; errno?: unknown }).code ?? (error as { errno?: unknown }).errno;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return { kind: 'transient', description: `connection failed (${code})` };
  if (error.name === 'AbortError' || error.name === 'TimeoutError') return { kind: 'transient', description: 'request timed out' };
  if (error.name === 'FetchError') return { kind: 'transient', description: `connection failed (${error.message.replace(/https?:\/\/\S+/g, '<server>')})` };
  return undefined;
}

export function backoffMs(attempt: number, policy: Pick<RetryPolicy, 'baseMs' | 'capMs'>): number {
  return Math.min(policy.capMs, policy.baseMs * 2 ** attempt);
}

async function sleepOrCancel(ms: number, signal?: AbortSignal): Promise<void> {
  await sleep(ms, signal);
  if (signal?.aborted) throw new CancelledError();
}

/**
 * Runs `request` until it succeeds, fails permanently, or uses up the
 * attempts. `classify` turns a thrown error into a failure class, or
 * returns undefined for an error that is not a request failure (rethrown).
 */
export async function withRetries<T>(
  what: string,
  request: (attempt: number) => Promise<T>,
  classify: (error: unknown) => FailureClass | undefined,
  options: { policy: RetryPolicy; log: Logger; signal?: AbortSignal; /** Each retry as a notice, not only with --verbose. */ notices?: boolean },
): Promise<T> {
  const { policy, log, signal } = options;
  const say = options.notices ? log.notice : log.debug;
  for (let attempt = 0; ; attempt++) {
    if (signal?.aborted) throw new CancelledError();
    try {
      return await request(attempt);
    } catch (error) {
      if (signal?.aborted) throw new CancelledError();
      const failure = classify(error);
      if (!failure) throw error;
      if (failure.kind === 'permanent') throw new PermanentError(failure.errorClass, `${what}: ${failure.description}`, { cause: error });
      const wait = failure.retryAfterMs ?? backoffMs(attempt, policy);
      if (attempt + 1 >= policy.attempts) {
        throw new TransientError(`${what}: ${failure.description} (gave up after ${policy.attempts} attempts)`, failure.retryAfterMs, { cause: error });
      }
      // A server's Retry-After is honoured up to a limit: the message says what really happens.
      const limit = Math.max(policy.capMs, RETRY_AFTER_LIMIT_MS);
      const delay = Math.min(wait, limit);
      const capped = delay < wait ? ` (the server asked for ${wait} ms; thoth waits at most ${limit} ms)` : '';
      say(`${what}: ${failure.description}; retrying in ${delay} ms${capped} (attempt ${attempt + 2} of ${policy.attempts})`);
      await sleepOrCancel(delay, signal);
    }
  }
}
