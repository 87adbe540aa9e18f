/**
 * The investigator dashboard's state, as plain data folded from events, so
 * that what the dashboard shows is testable without a terminal.
 */
import { displayText } from '../core/quote.js';
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
  /** The knowledge topic: being read to its end before consuming (with what is left), or caught up. */
  knowledge?: { topic: string; caughtUp: boolean; behind: number; facts?: number };
  /** Decisions taken by this replica, and triggers it wrote. */
  decisions: { taken: number; notDue: number; triggers: number };
  /** Newest last. */
  recent: InvestigatorEvent[];
  halted: string[];
  /** The newest dead letter, kept apart so that its reason stays readable however busy the stream. */
  lastDeadLetter?: InvestigatorEvent;
  /** The newest notices and warnings (stderr lines written while the dashboard owns the terminal), newest last. */
  notices: string[];
  noticeCount: number;
  /** Why the run ended, once it has. */
  stopped?: string;
  stoppedAt?: number;
  /** Each partition's lag, from the newest lag report. */
  partitionLag: Array<{ topic: string; partition: number; lag: number }>;
  /** Records received per second of the clock (epoch second → count), the last RATE_WINDOW_S + 1 seconds. */
  receivedPerSecond: Map<number, number>;
  /** The topics the keys act on (full names), once the run hands over its controls; the selected one by index. */
  topics: string[];
  selected: number;
  /** What the last key did ("halted solved-package"), shown until the next key. */
  keyNote?: string;
}

/** messages/s is the mean over this many whole seconds before the current one. */
export const RATE_WINDOW_S = 5;

export const RECENT_EVENTS = 8;
export const RECENT_NOTICES = 3;

/** Events worth a line in "last events"; the per-record bookkeeping ones would drown the rest. */
const SHOWN = new Set([
  'scheduled',
  'recorded-workflow',
  'known',
  'exists',
  'dead-letter',
  'published',
  'retry',
  'paused',
  'resumed',
  'idle-exit',
  'recorded',
  'decision',
]);

export function emptyDashboard(): DashboardState {
  return {
    tally: emptyTally(),
    source: '',
    workflows: '',
    recent: [],
    halted: [],
    notices: [],
    noticeCount: 0,
    decisions: { taken: 0, notDue: 0, triggers: 0 },
    partitionLag: [],
    receivedPerSecond: new Map(),
    topics: [],
    selected: 0,
  };
}

/** Folds one event into the state (mutates: the renderer owns the state). */
export function applyEvent(state: DashboardState, event: InvestigatorEvent): void {
  countEvent(state.tally, event);
  switch (event.event) {
    case 'started':
      state.source = displayText(event.source ?? '');
      state.workflows = displayText(event.workflows ?? '');
      if (typeof event.group === 'string') state.group = event.group;
      state.startedAt = Date.parse(event.ts);
      break;
    case 'stopped':
      state.stopped = displayText(event.reason ?? 'stopped');
      state.stoppedAt = Date.parse(event.ts);
      break;
    case 'dead-letter':
      state.lastDeadLetter = event;
      break;
    case 'lag':
      if (typeof event.total === 'number') state.lag = event.total;
      if (Array.isArray(event.byPartition)) state.partitionLag = event.byPartition as DashboardState['partitionLag'];
      break;
    case 'knowledge':
      if (event.state === 'catching-up' || event.state === 'caught-up')
        state.knowledge = {
          topic: displayText(event.topic ?? ''),
          caughtUp: event.state === 'caught-up',
          behind: typeof event.behind === 'number' ? event.behind : 0,
          ...(typeof event.facts === 'number' ? { facts: event.facts } : {}),
        };
      break;
    case 'decision-trigger':
      state.decisions.triggers++;
      break;
    case 'decision':
      if (event.outcome === 'taken') state.decisions.taken++;
      else state.decisions.notDue++;
      break;
    case 'received': {
      const second = Math.floor(Date.parse(event.ts) / 1000);
      state.receivedPerSecond.set(second, (state.receivedPerSecond.get(second) ?? 0) + 1);
      for (const old of state.receivedPerSecond.keys()) if (old < second - RATE_WINDOW_S - 1) state.receivedPerSecond.delete(old);
      break;
    }
    case 'paused': {
      const what = displayText(event.topic ?? event.namespace ?? '');
      if (what && !state.halted.includes(what)) state.halted.push(what);
      break;
    }
    case 'resumed': {
      const what = displayText(event.topic ?? event.namespace ?? '');
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

/** Adds what was written to stderr, one notice per non-empty line. */
export function addNotice(state: DashboardState, text: string): void {
  for (const line of text.split('\n')) {
    const notice = line.trimEnd();
    if (!notice) continue;
    state.noticeCount++;
    state.notices.push(notice);
    if (state.notices.length > RECENT_NOTICES) state.notices.shift();
  }
}

/** Short names, so that the detail keeps most of a narrow line. */
const LABEL: Record<string, string> = { 'recorded-workflow': 'recorded wf' };
const EVENT_COLUMN = 11;

/** One line for an event in "last events". */
export function describeEvent(event: InvestigatorEvent): string {
  const where = event.topic !== undefined ? ` ${event.type ?? event.topic}@${event.partition}:${event.offset}` : '';
  const label = (LABEL[event.event] ?? event.event).padEnd(EVENT_COLUMN);
  const name = typeof event.name === 'string' ? event.name : typeof event.workflow === 'string' ? event.workflow : '';
  switch (event.event) {
    case 'scheduled':
    case 'recorded-workflow':
    case 'known':
    case 'exists': {
      // Workflow names start with their kind; say the kind only when the name does not.
      const kind = displayText(event.kind ?? '');
      return `${label} ${kind && !name.startsWith(kind) ? `${kind} ` : ''}${name}${where}`;
    }
    case 'dead-letter':
      return `${label} ${String(event.errorClass)}: ${String(event.reason).split('\n')[0]}${where}`;
    case 'retry':
      return `${label} #${String(event.attempt)} in ${String(event.delayMs)}ms: ${String(event.reason)}${where}`;
    case 'published':
      return `${label} ${displayText(event.messageType ?? event.topic ?? '')}${where}`;
    case 'recorded':
      return `${label} ${learnedFrom(event)}${where}`;
    case 'paused':
    case 'resumed':
      return `${label} ${displayText(event.topic ?? event.namespace ?? '')}`;
    case 'decision':
      return `${label} ${displayText(event.decision ?? '')} ${displayText(event.outcome ?? '')}`;
    case 'idle-exit': {
      // Ended idle with messages still failing transiently: they stay uncommitted (named on stderr once it closes).
      const failing = typeof event.failing === 'number' ? event.failing : 0;
      return `${label} after ${String(event.idleSeconds)}s${failing > 0 ? `, ${failing} still failing (left uncommitted)` : ''}`;
    }
    default:
      return `${label.trimEnd()}${where}`;
  }
}

export function formatUptime(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
}

/** Messages received per second, averaged over the RATE_WINDOW_S whole seconds before `now`. */
export function messagesPerSecond(state: DashboardState, now: number): number {
  const current = Math.floor(now / 1000);
  let sum = 0;
  for (const [second, count] of state.receivedPerSecond) if (second >= current - RATE_WINDOW_S && second < current) sum += count;
  return sum / RATE_WINDOW_S;
}

/** Moves the selection by `delta` topics, staying within the list. */
export function selectTopic(state: DashboardState, delta: number): void {
  if (state.topics.length === 0) return;
  state.selected = Math.min(state.topics.length - 1, Math.max(0, state.selected + delta));
}
