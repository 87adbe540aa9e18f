/** Time, injected: tests and replays decide what "now" is; nothing below src/cli calls `new Date()` for it. */
export interface Clock {
  /** Milliseconds since the epoch. A function property, so that `clock.now` can be handed on as it is. */
  readonly now: () => number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** The clock's time as ISO-8601, the form the cache and the event log store. */
export function isoNow(clock: Clock): string {
  return new Date(clock.now()).toISOString();
}
