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
  /** Runs `fn` in a turn of its own, or in the caller's turn when the caller holds it. */
  run<T>(fn: () => T | Promise<T>): Promise<T>;
  /**
   * Runs `fn` as one task: a turn it takes inside (`take`) is held by all of
   * `fn`'s continuations until released.
   */
  task<T>(fn: () => Promise<T>): Promise<T>;
  /** Waits for the turn (for the current task); resolves to its release. */
  take(): Promise<() => void>;
}

export function createTurns(): Turns {
  const tasks = new AsyncLocalStorage<object>();
  let holder: object | undefined;
  let tail: Promise<void> = Promise.resolve();

  const take = (): Promise<() => void> => {
    const owner = tasks.getStore() ?? {};
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const previous = tail;
    tail = previous.then(() => released);
    return previous.then(() => {
      holder = owner;
      let done = false;
      return () => {
        if (done) return;
        done = true;
        if (holder === owner) holder = undefined;
        release();
      };
    });
  };

  return {
    take,
    task: (fn) => tasks.run({}, fn),
    run: async (fn) => {
      const current = tasks.getStore();
      if (current !== undefined && holder === current) return fn();
      return tasks.run({}, async () => {
        const release = await take();
        try {
          return await fn();
        } finally {
          release();
        }
      });
    },
  };
}
