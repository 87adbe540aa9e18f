/**
 * One writer at a time, for a resource a process shares between concurrent
 * tasks (the cache's SQLite connection: a batch's open transaction, the
 * knowledge topic's reader, the ledger's phase updates). Turns are taken in
 * the order asked for. A task that holds the turn may ask again from any of
 * its own continuations and runs at once (the turn follows the async context
 * that took it), so a batch's handlers never wait on their own batch.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface Turns {
  /**
   * Runs `fn` in a turn of its own, or in the caller's turn when the caller holds it.
   * With a signal, waiting for the turn ends (rejecting) when it aborts: a stop never waits on a
   * turn that whoever holds it may not give back.
   */
  run<T>(fn: () => T | Promise<T>, signal?: AbortSignal): Promise<T>;
  /**
   * Runs `fn` as one task: a turn it takes inside (`take`) is held by all of
   * `fn`'s continuations until released.
   */
  task<T>(fn: () => Promise<T>): Promise<T>;
  /** Waits for the turn (for the current task); resolves to its release. */
  take(signal?: AbortSignal): Promise<() => void>;
}

export function createTurns(): Turns {
  const tasks = new AsyncLocalStorage<object>();
  let holder: object | undefined;
  let tail: Promise<void> = Promise.resolve();

  const take = (signal?: AbortSignal): Promise<() => void> => {
    const owner = tasks.getStore() ?? {};
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const previous = tail;
    tail = previous.then(() => released);
    const granted = previous.then(() => {
      // Given up while waiting: the turn passes straight on.
      if (signal?.aborted) {
        release();
        return undefined;
      }
      holder = owner;
      let done = false;
      return () => {
        if (done) return;
        done = true;
        if (holder === owner) holder = undefined;
        release();
      };
    });
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(signal?.reason instanceof Error ? signal.reason : new Error('stopped while waiting for the cache'));
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      void granted.then((give) => {
        signal?.removeEventListener('abort', onAbort);
        if (give) resolve(give);
        else onAbort();
      });
    });
  };

  return {
    take,
    task: (fn) => tasks.run({}, fn),
    run: async (fn, signal) => {
      const current = tasks.getStore();
      if (current !== undefined && holder === current) return fn();
      return tasks.run({}, async () => {
        const release = await take(signal);
        try {
          return await fn();
        } finally {
          release();
        }
      });
    },
  };
}
