/**
 * Waiting for a cache another process has locked, without stopping this one.
 * better-sqlite3's busy timeout sleeps inside SQLite, on the event loop's
 * thread: while it waits nothing else runs (the dashboard, /metrics,
 * /_health, Kafka heartbeats). So connections wait only briefly there
 * (BUSY_TIMEOUT_MS), and a caller that may wait longer runs its call through
 * `whenUnlocked`: tried again after jittered, growing pauses on timers, up
 * to a bound, until the caller's signal aborts. The call itself is the same
 * synchronous call (a transaction stays one transaction).
 */
import { CancelledError, TransientError } from '../core/errors.js';
import { formatDuration } from '../core/duration.js';
import { sleep } from '../core/sleep.js';
import { lockHolder } from './lock-holder.js';

export interface LockWait {
  /** The longest time to wait in all; 0 tries once. */
  boundMs: number;
  /** Ends the wait at once (Ctrl-C, SIGTERM). */
  signal?: AbortSignal;
  /** Told when the wait begins, and every `noticeEveryMs` after, one line each. */
  onWait?: (text: string) => void;
  /** Where a person reads about the bound (`THOTH_CACHE_WAIT`), named when the wait gives up. */
  boundName?: string;
  noticeEveryMs?: number;
  now?: () => number;
  /** The pause before the nth retry (for tests); jittered exponential back-off by default. */
  pause?: (attempt: number) => number;
}

const FIRST_PAUSE_MS = 50;
const LONGEST_PAUSE_MS = 1_000;
const NOTICE_EVERY_MS = 5_000;

/** 50 ms, 100 ms, 200 ms … up to 1 s, each between half and all of that, so that waiters do not retry in step. */
function backOff(attempt: number): number {
  const ceiling = Math.min(LONGEST_PAUSE_MS, FIRST_PAUSE_MS * 2 ** Math.min(attempt - 1, 10));
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

/** SQLITE_BUSY or SQLITE_LOCKED, as better-sqlite3 throws it or as thoth's TransientError wraps it. */
export function isLocked(error: unknown): boolean {
  for (let e = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))) return true;
  }
  return false;
}

/** The one line for a cache that stayed locked. */
export class CacheLocked extends TransientError {}

/**
 * Runs `fn` (a synchronous call on the cache at `path`); while it fails
 * because another process holds the lock, says who holds it and tries again
 * later, up to `wait.boundMs`. `doing` names what waits (`to open it`, `to
 * write`), for the messages.
 */
export async function whenUnlocked<T>(path: string, doing: string, fn: () => T, wait: LockWait): Promise<T> {
  const now = wait.now ?? Date.now;
  const pause = wait.pause ?? backOff;
  const noticeEvery = wait.noticeEveryMs ?? NOTICE_EVERY_MS;
  const started = now();
  let noticeAt = started;
  for (let attempt = 1; ; attempt++) {
    // The first try is made whatever the signal says: a stopping command still commits what it has shown.
    if (attempt > 1 && wait.signal?.aborted) {
      throw new CancelledError(`interrupted while waiting ${doing}: the knowledge cache ${path} is locked by ${lockHolder(path)}`);
    }
    try {
      return fn();
    } catch (error) {
      if (!isLocked(error)) throw error;
    }
    // Who holds it is looked up (a walk of /proc) only for a line that names them, not on every try.
    const waited = now() - started;
    if (waited >= wait.boundMs) {
      const bound = wait.boundName ? ` (${wait.boundName}=${formatDuration(wait.boundMs)})` : '';
      throw new CacheLocked(
        `the knowledge cache ${path} is locked by ${lockHolder(path)}: waited ${formatDuration(waited)} ${doing}, then gave up${bound}`,
      );
    }
    if (now() >= noticeAt) {
      wait.onWait?.(
        `the knowledge cache ${path} is locked by ${lockHolder(path)}: waiting ${doing} (${formatDuration(waited)} so far, at most ${formatDuration(wait.boundMs)})`,
      );
      noticeAt = now() + noticeEvery;
    }
    await sleep(Math.max(1, Math.min(pause(attempt), wait.boundMs - waited)), wait.signal);
  }
}
