/**
 * What the retry loop says while it waits: what it really does (a long
 * Retry-After is capped, and the message says so), and as a notice when a
 * person is waiting for it.
 */
import { describe, expect, it } from 'vitest';
import { CancelledError } from '../../src/core/errors.js';
import type { Logger } from '../../src/core/logger.js';
import { DEFAULT_RETRY, withRetries, type FailureClass } from '../../src/kube/http-failures.js';

function recordingLog(onLine: () => void = () => {}) {
  const notices: string[] = [];
  const debug: string[] = [];
  const log: Logger = {
    notice: (t) => (notices.push(t), onLine()),
    warn: (t) => (notices.push(t), onLine()),
    debug: (t) => (debug.push(t), onLine()),
  };
  return { log, notices, debug };
}

const throttled: FailureClass = { kind: 'transient', description: 'HTTP 429: slow down', retryAfterMs: 120_000 };

describe('withRetries', () => {
  it('says it waits at most 60 s when the server asks for 120 s', async () => {
    const controller = new AbortController();
    // Stop during the wait: the message is what this test is about, not the wait.
    const { log, debug } = recordingLog(() => controller.abort());
    const attempt = withRetries(
      'creating workflow w',
      async () => Promise.reject(new Error('429')),
      () => throttled,
      {
        policy: DEFAULT_RETRY,
        log,
        signal: controller.signal,
      },
    );
    await expect(attempt).rejects.toBeInstanceOf(CancelledError);
    expect(debug).toEqual([
      'creating workflow w: HTTP 429: slow down; retrying in 60000 ms (the server asked for 120000 ms; thoth waits at most 60000 ms) (attempt 2 of 6)',
    ]);
  });

  it('announces each retry as a notice when asked to, not only in debug output', async () => {
    const { log, notices, debug } = recordingLog();
    let calls = 0;
    const result = await withRetries(
      'reading workflow w',
      async () => {
        if (++calls < 3) throw new Error('503');
        return 'ok';
      },
      () => ({ kind: 'transient', description: 'HTTP 503: unavailable' }),
      { policy: { ...DEFAULT_RETRY, baseMs: 1, capMs: 2 }, log, notices: true },
    );
    expect(result).toBe('ok');
    expect(notices).toEqual([
      'reading workflow w: HTTP 503: unavailable; retrying in 1 ms (attempt 2 of 6)',
      'reading workflow w: HTTP 503: unavailable; retrying in 2 ms (attempt 3 of 6)',
    ]);
    expect(debug).toEqual([]);
  });
});
