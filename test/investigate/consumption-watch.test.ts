import { describe, expect, it } from 'vitest';
import type { Logger } from '../../src/core/logger.js';
import { settledWithin, untilDone, watchIdle } from '../../src/investigate/consumption-watch.js';
import type { ConsumeSummary, Consumption } from '../../src/transport/port.js';

/** A consumption that ends when `end` is called (or fails with `fail`). */
function consumption() {
  let end!: () => void;
  let fail!: (error: unknown) => void;
  const done = new Promise<ConsumeSummary>((resolve, reject) => {
    end = () => resolve({ records: 0, reason: 'end' });
    fail = reject;
  });
  const c: Consumption = { done, pause: () => undefined, resume: () => undefined, lag: async () => [] };
  return { c, end, fail };
}

function warnings() {
  const said: string[] = [];
  const log: Logger = { notice: () => undefined, warn: (text) => void said.push(text), debug: () => undefined };
  return { said, log };
}

const later = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('waiting for the consumption, and the stop grace', () => {
  it('returns when the consumption ends, with no stop and no warning', async () => {
    const { c, end } = consumption();
    const { said, log } = warnings();
    const waiting = untilDone(c, new AbortController().signal, 10, log);
    await later(30);
    end();
    await waiting;
    expect(said).toEqual([]);
  });

  it('after a stop, waits for in-flight records within the grace and says nothing when they finish in time', async () => {
    const { c, end } = consumption();
    const { said, log } = warnings();
    const stop = new AbortController();
    const waiting = untilDone(c, stop.signal, 1_000, log);
    stop.abort();
    await later(20);
    end();
    await waiting;
    expect(said).toEqual([]);
  });

  it('after a stop, gives up at the end of the grace and says that the records will be redelivered', async () => {
    const { c } = consumption();
    const { said, log } = warnings();
    const stop = new AbortController();
    stop.abort();
    await untilDone(c, stop.signal, 30, log);
    expect(said).toEqual(['in-flight records did not finish within 0.03s of the stop; they stay uncommitted and will be redelivered']);
  });

  it('throws a failure of the consumption that no stop explains', async () => {
    const { c, fail } = consumption();
    const waiting = untilDone(c, new AbortController().signal, 10, warnings().log);
    fail(new Error('the cache broke'));
    await expect(waiting).rejects.toThrow('the cache broke');
  });

  it('settledWithin: true for work that settles in time, false for work that does not, and throws a failure', async () => {
    expect(await settledWithin(later(5), 1_000)).toBe(true);
    expect(await settledWithin(new Promise(() => undefined), 20)).toBe(false);
    await expect(settledWithin(Promise.reject(new Error('refused')), 1_000)).rejects.toThrow('refused');
  });
});

describe('--until-idle watchdog', () => {
  it('does not call a run idle while the backlog cannot be told yet (consumer still joining), nor while records wait', async () => {
    const answers: Array<number | undefined> = [undefined, undefined, 3, 0];
    const asked: Array<number | undefined> = [];
    let idle = false;
    await watchIdle({
      idleMs: 20,
      quietFor: () => 1_000,
      backlog: async () => {
        const answer = answers.shift();
        asked.push(answer);
        return answer;
      },
      stop: new AbortController().signal,
      onIdle: () => void (idle = true),
    });
    expect(idle).toBe(true);
    expect(asked).toEqual([undefined, undefined, 3, 0]);
  });

  it('ends without calling the run idle when it is stopped first', async () => {
    const stop = new AbortController();
    let idle = false;
    const watching = watchIdle({
      idleMs: 20,
      quietFor: () => 0,
      backlog: async () => 0,
      stop: stop.signal,
      onIdle: () => void (idle = true),
    });
    stop.abort();
    await watching;
    expect(idle).toBe(false);
  });

  it('calls the run idle despite a backlog once only records failing transiently are left, and not before it is quiet', async () => {
    let quiet = 0;
    let idle = false;
    const asked: number[] = [];
    const watching = watchIdle({
      idleMs: 20,
      quietFor: () => quiet,
      backlog: async () => {
        asked.push(1);
        return 1;
      },
      stalled: () => true,
      stop: new AbortController().signal,
      onIdle: () => void (idle = true),
    });
    await later(120);
    expect(idle).toBe(false);
    quiet = 1_000;
    await watching;
    expect(idle).toBe(true);
    // The failing records' backlog is not waited on.
    expect(asked).toEqual([]);
  });
});
