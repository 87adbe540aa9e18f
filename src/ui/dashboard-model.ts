/**
 * The investigator dashboard's state, as plain data folded from events, so
 * that what the dashboard shows is testable without a terminal.
 */
import { countEvent, emptyTally, type EventTally, type InvestigatorEvent } from '../investigate/events.js';
import { learnedFrom } from '../investigate/summary.js';

export interface DashboardState {
  tally: EventTally;
  source: string;
  workflows: string;
  group?: string;
  startedAt?: number;
  /** Total records not yet consumed, when the source can tell. */
  lag?: number;
  /** Newest last. */
  recent: InvestigatorEvent[];
  halted: string[];
}

export const RECENT_EVENTS = 8;

/** Events worth a line in "last events"; the per-record bookkeeping ones would drown the rest. */
const SHOWN = new Set(['scheduled', 'recorded-workflow', 'known', 'exists', 'dead-letter', 'published', 'retry', 'paused', 'resumed', 'idle-exit', 'recorded']);

export function emptyDashboard(): DashboardState {
  return { tally: emptyTally(), source: '', workflows: '', recent: [], halted: [] };
}

/** Folds one event into the state (mutates: the renderer owns the state). */
export function applyEvent(state: DashboardState, event: InvestigatorEvent): void {
  countEvent(state.tally, event);
  switch (event.event) {
    case 'started':
      state.source = String(event.source ?? '');
      state.workflows = String(event.workflows ?? '');
      if (typeof event.group === 'string') state.group = event.group;
      state.startedAt = Date.parse(event.ts);
      break;
    case 'lag':
      if (typeof event.total === 'number') state.lag = event.total;
      break;
    case 'paused': {
      const what = String(event.topic ?? event.namespace ?? '');
      if (what && !state.halted.includes(what)) state.halted.push(what);
      break;
    }
    case 'resumed': {
      const what = String(event.topic ?? event.namespace ?? '');
      state.halted = state.halted.filter((h) => h !== what);
      break;
    }
    default:
      break;
  }
  if (SHOWN.has(event.event)) {
    state.recent.push(event);
    if (state.recent.length > RECENT_EVENTS) state.recent.shift();
  }
}

/** One line for an event in "last events". */
export function describeEvent(event: InvestigatorEvent): string {
  const where = event.topic !== undefined ? ` ${event.type ?? event.topic}@${event.partition}:${event.offset}` : '';
  const name = typeof event.name === 'string' ? event.name : typeof event.workflow === 'string' ? event.workflow : '';
  switch (event.event) {
    case 'scheduled':
    case 'recorded-workflow':
    case 'known':
    case 'exists':
      return `${event.event.padEnd(17)} ${String(event.kind ?? '')} ${name}${where}`;
    case 'dead-letter':
      return `${'dead-letter'.padEnd(17)} ${String(event.errorClass)}: ${String(event.reason).split('\n')[0]}${where}`;
    case 'retry':
      return `${'retry'.padEnd(17)} #${String(event.attempt)} in ${String(event.delayMs)}ms: ${String(event.reason)}${where}`;
    case 'published':
      return `${'published'.padEnd(17)} ${String(event.messageType ?? event.topic ?? '')}${where}`;
    case 'recorded':
      return `${'recorded'.padEnd(17)} ${learnedFrom(event)}${where}`;
    case 'paused':
    case 'resumed':
      return `${event.event.padEnd(17)} ${String(event.topic ?? event.namespace ?? '')}`;
    default:
      return `${event.event.padEnd(17)}${where}`;
  }
}

export function formatUptime(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
}
