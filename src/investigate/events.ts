/**
 * What the investigator reports while it runs. Every step of the loop emits
 * one event; the presenters decide what to do with it: one JSON line on
 * stdout when stdout is not a terminal, the ink dashboard when it is, and a
 * tally for the summary at the end.
 */

export type InvestigatorEventName =
  | 'started'
  | 'received'
  | 'processed'
  /** The cache's transaction of a batch committed (after the broker's commit): every record reported processed before it is committed. */
  | 'committed'
  | 'duplicate'
  | 'skipped'
  | 'scheduled'
  | 'exists'
  | 'known'
  | 'recorded-workflow'
  | 'recorded'
  | 'published'
  | 'metric'
  | 'dead-letter'
  | 'retry'
  | 'paused'
  | 'resumed'
  | 'lag'
  | 'workflow-phase'
  | 'idle-exit'
  | 'stopped'
  /** The knowledge topic: reading it up to its end before consuming (state catching-up / caught-up), or a record skipped. */
  | 'knowledge'
  /** A trigger written for a decision this replica owns (decide.ts). */
  | 'decision-trigger'
  /** A decision's trigger handled: taken, or not (any more) due. */
  | 'decision';

export interface InvestigatorEvent {
  /** ISO-8601 time of the event. */
  ts: string;
  event: InvestigatorEventName;
  topic?: string;
  partition?: number;
  offset?: number;
  /** CLI name of the message type (`solved-package`). */
  type?: string;
  [detail: string]: unknown;
}

export type EventSink = (event: InvestigatorEvent) => void;

/** Fans one event out to several sinks (logger, dashboard, tally). */
export function fanOut(...sinks: Array<EventSink | undefined>): EventSink {
  const present = sinks.filter((s): s is EventSink => s !== undefined);
  return (event) => {
    for (const sink of present) sink(event);
  };
}

/** Lines held before they are written: a run of 20,000 messages makes some 130,000 events. */
const LINES_HELD_BYTES = 64 * 1024;

/**
 * One JSON object per line, for log collectors and `jq`. Lines are written together: when 64 KiB are
 * held, when the event loop next turns (after the records in hand), and at `flush` (the end of a run);
 * a write per event was a system call per event, some 6 a message.
 */
export function jsonLinesSink(stream: NodeJS.WritableStream): EventSink & { flush(): void } {
  let held = '';
  let scheduled = false;
  const flush = () => {
    if (held === '') return;
    const text = held;
    held = '';
    stream.write(text);
  };
  const sink = (event: InvestigatorEvent) => {
    held += `${JSON.stringify(event)}\n`;
    if (held.length >= LINES_HELD_BYTES) flush();
    else if (!scheduled) {
      scheduled = true;
      setImmediate(() => {
        scheduled = false;
        flush();
      });
    }
  };
  return Object.assign(sink, { flush });
}

/** Counts of what happened during a run, for the summary and the dashboard. */
export interface EventTally {
  received: number;
  processed: number;
  duplicates: number;
  skipped: number;
  deadLetters: number;
  retries: number;
  published: number;
  /** Workflows created on the cluster or written to the ledger in record mode. */
  scheduled: number;
  /** Workflows not scheduled because the ledger or the cluster already had them. */
  known: number;
  /** Knowledge written to the cache. */
  recorded: number;
  byType: Record<string, number>;
  byWorkflowKind: Record<string, number>;
}

export function emptyTally(): EventTally {
  return {
    received: 0,
    processed: 0,
    duplicates: 0,
    skipped: 0,
    deadLetters: 0,
    retries: 0,
    published: 0,
    scheduled: 0,
    known: 0,
    recorded: 0,
    byType: {},
    byWorkflowKind: {},
  };
}

/** Adds one event to the tally (mutates it: the tally is owned by the runner). */
export function countEvent(tally: EventTally, event: InvestigatorEvent): void {
  switch (event.event) {
    case 'received':
      tally.received++;
      if (event.type) tally.byType[event.type] = (tally.byType[event.type] ?? 0) + 1;
      break;
    case 'processed':
      tally.processed++;
      break;
    case 'duplicate':
      tally.duplicates++;
      break;
    case 'skipped':
      tally.skipped++;
      break;
    case 'dead-letter':
      tally.deadLetters++;
      break;
    case 'retry':
      tally.retries++;
      break;
    case 'published':
      tally.published++;
      break;
    case 'scheduled':
    case 'recorded-workflow': {
      tally.scheduled++;
      const kind = typeof event.kind === 'string' ? event.kind : 'unknown';
      tally.byWorkflowKind[kind] = (tally.byWorkflowKind[kind] ?? 0) + 1;
      break;
    }
    case 'known':
    case 'exists':
      tally.known++;
      break;
    case 'recorded':
      tally.recorded++;
      break;
    default:
      break;
  }
}
