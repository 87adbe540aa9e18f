/**
 * Puts the dashboard on a terminal: folds events into the state and redraws
 * at most every `intervalMs`, so that a fast stream is not slowed by drawing.
 * Imported lazily by `thoth investigate`, and only when stdout is a TTY.
 */
import { createElement } from 'react';
import { render } from 'ink';
import type { EventSink } from '../investigate/events.js';
import { Dashboard } from './dashboard.js';
import { applyEvent, emptyDashboard } from './dashboard-model.js';

export interface DashboardHandle {
  sink: EventSink;
  /** Draws the final frame and gives the terminal back. */
  close(): Promise<void>;
}

export function renderDashboard(
  stdout: NodeJS.WritableStream,
  options: { color: boolean; intervalMs?: number; now?: () => number; debug?: boolean },
): DashboardHandle {
  const state = emptyDashboard();
  const now = options.now ?? Date.now;
  const width = () => {
    const columns = (stdout as { columns?: number }).columns;
    return columns && columns > 20 ? columns : 100;
  };
  const element = () => createElement(Dashboard, { state, now: now(), color: options.color, width: width() });
  const instance = render(element(), {
    stdout: stdout as NodeJS.WriteStream,
    patchConsole: false,
    exitOnCtrlC: false,
    debug: options.debug ?? false,
  });
  let dirty = false;
  const timer = setInterval(() => {
    if (!dirty) return;
    dirty = false;
    instance.rerender(element());
  }, options.intervalMs ?? 200);
  timer.unref();
  return {
    sink: (event) => {
      applyEvent(state, event);
      dirty = true;
    },
    close: async () => {
      clearInterval(timer);
      instance.rerender(element());
      instance.unmount();
      await instance.waitUntilExit().catch(() => undefined);
    },
  };
}
