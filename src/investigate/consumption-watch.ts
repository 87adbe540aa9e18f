/**
 * What runs beside the consumption: waiting for it to end (with a grace
 * period after a stop), the --until-idle watchdog and the lag reporter.
 */
import { isAbortError, UserError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Consumption } from '../transport/port.js';
import { METRIC } from './metrics.js';
import { sleep } from '../core/sleep.js';

/** Waits for the consumption; after a stop, for at most the grace period (uncommitted records are redelivered). */
export async function untilDone(consumption: Consumption, stop: AbortSignal, graceMs: number, log: Logger): Promise<void> {
  const done = consumption.done.then(
    () => undefined,
    (error: unknown) => {
      // A handler interrupted by the stop leaves its record uncommitted: that is the point.
      if (stop.aborted && isAbortError(error)) return;
      if (stop.aborted && error instanceof UserError) {
        log.debug(`while stopping: ${error.message}`);
        return;
      }
      throw error;
    },
  );
  const stopped = new Promise<'stopped'>((resolve) =>
    stop.aborted ? resolve('stopped') : stop.addEventListener('abort', () => resolve('stopped'), { once: true }),
  );
  if ((await Promise.race([done.then(() => 'done' as const), stopped])) === 'done') return;
  if (!(await settledWithin(done, graceMs)))
    log.warn(`in-flight records did not finish within ${graceMs / 1000}s of the stop; they stay uncommitted and will be redelivered`);
}

/** Whether `work` settled within `ms` (its failure is thrown; the timer keeps no process alive). */
export async function settledWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const over = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
    timer.unref();
  });
  try {
    return await Promise.race([work.then(() => true), over]);
  } finally {
    clearTimeout(timer);
  }
}

/** How long past --until-idle a run waits for records the broker has but this member is not given (a rebalance after a crash). */
const UNASSIGNED_BACKLOG_GRACE_MS = 60_000;

/**
 * Idle means: nothing handled for `idleMs` and nothing left to read, or
 * nothing handled but records failing transiently (`stalled`: those stay
 * uncommitted, the next run takes them again). A
 * member that is still waiting for its partitions (the group rebalancing
 * after a crashed member) sees a backlog, or none it can tell yet, and keeps
 * waiting, up to a grace period.
 */
export async function watchIdle(options: {
  idleMs: number;
  quietFor: () => number;
  backlog: () => Promise<number | undefined>;
  /** Records failing transiently wait to be tried again: their backlog does not keep the run going once it is quiet. */
  stalled?: () => boolean;
  stop: AbortSignal;
  onIdle: () => void;
}): Promise<void> {
  // Looked at often enough that a run ends within a quarter of a second of being idle for `idleMs` (a look is cheap;
  // the backlog is asked only once the run has been quiet that long).
  const tick = Math.max(50, Math.min(250, Math.floor(options.idleMs / 4)));
  while (!options.stop.aborted) {
    await sleep(tick, options.stop);
    if (options.stop.aborted) return;
    const quiet = options.quietFor();
    if (quiet < options.idleMs) continue;
    if (options.stalled?.()) return options.onIdle();
    // An unknown backlog (the consumer has not joined yet, the broker did not answer) is not an empty one.
    const backlog = quiet >= options.idleMs + UNASSIGNED_BACKLOG_GRACE_MS ? 0 : await options.backlog();
    if (backlog === 0) return options.onIdle();
  }
}

/** Reports the consumer lag when it changes, for the dashboard and the log. */
export async function watchLag(
  consumption: Consumption,
  stop: AbortSignal,
  everyMs: number,
  report: (total: number, partitions: number, byPartition: Array<{ topic: string; partition: number; lag: number }>) => void,
): Promise<void> {
  let last = '';
  while (!stop.aborted) {
    await sleep(everyMs, stop);
    if (stop.aborted) return;
    const samples = await lagSamples(consumption);
    if (samples === undefined) continue;
    const total = samples.reduce((sum, s) => sum + s.value, 0);
    const byPartition = samples.map((s) => ({ topic: s.labels.topic, partition: Number(s.labels.partition), lag: s.value }));
    // Reported when any partition's lag changed, so that the dashboard's per-partition view stays true.
    const key = JSON.stringify(byPartition);
    if (key !== last) report(total, samples.length, byPartition);
    last = key;
  }
}

/** Lag per partition as metric samples; undefined when the broker does not answer in time. */
export async function lagSamples(consumption: Consumption) {
  const timeout = new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 2000).unref());
  const lag = await Promise.race([consumption.lag().catch(() => undefined), timeout]);
  return lag?.map((p) => ({
    name: METRIC.consumerLag,
    labels: { topic: p.topic, partition: String(p.partition) },
    value: Math.max(0, p.end - p.position),
  }));
}
