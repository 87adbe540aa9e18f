/**
 * Puts the dashboard on a terminal: folds events into the state and redraws
 * at most every `intervalMs` (so that a fast stream is not slowed by
 * drawing), and at least every second (so that the clock moves while idle).
 * Imported lazily by `thoth investigate`, and only when stdout is a TTY.
 *
 * Drawing starts with the first event, so that start-up notices (which
 * broker, which index) print above the dashboard. While the dashboard is up,
 * lines written to a terminal stderr are shown inside it instead: a line
 * printed between two frames would shift the screen under ink and leave
 * torn frames behind.
 */
import { createElement } from 'react';
import { render, type Instance } from 'ink';
import type { EventSink } from '../investigate/events.js';
import { Dashboard } from './dashboard.js';
import { addNotice, applyEvent, emptyDashboard } from './dashboard-model.js';

export interface DashboardHandle {
  sink: EventSink;
  /** Draws the final frame, leaves it on the screen and gives the terminal (and stderr) back. */
  close(): Promise<void>;
}

export interface DashboardOptions {
  color: boolean;
  /** stderr: captured into the dashboard while it is drawn, when it is a terminal too. */
  stderr?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Values never to show (passwords, tokens from the environment). */
  secrets?: readonly string[];
  intervalMs?: number;
  now?: () => number;
  debug?: boolean;
}

type Sized = NodeJS.WritableStream & { columns?: number; rows?: number; isTTY?: boolean };
type Write = NodeJS.WritableStream['write'];

/** Sends what is written to `stream` to `onText` until the returned function is called. */
function captureWrites(stream: NodeJS.WritableStream, onText: (text: string) => void): () => void {
  const own = Object.prototype.hasOwnProperty.call(stream, 'write');
  // Kept as it is (not bound) to be put back as it was.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const original = stream.write;
  stream.write = (chunk: string | Uint8Array, encoding?: unknown, callback?: unknown) => {
    onText(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    const done = typeof encoding === 'function' ? encoding : callback;
    if (typeof done === 'function') process.nextTick(done);
    return true;
  };
  return () => {
    if (own) stream.write = original;
    else delete (stream as { write?: Write }).write;
  };
}

export function renderDashboard(stdout: NodeJS.WritableStream, options: DashboardOptions): DashboardHandle {
  const terminal = stdout as Sized;
  const state = emptyDashboard();
  const now = options.now ?? Date.now;
  const width = () => (terminal.columns && terminal.columns > 20 ? terminal.columns : 100);
  const element = () =>
    createElement(Dashboard, {
      state,
      now: now(),
      color: options.color,
      width: width(),
      rows: terminal.rows || undefined,
      secrets: options.secrets,
    });
  let instance: Instance | undefined;
  let release: (() => void) | undefined;
  let dirty = false;
  let lastDraw = 0;
  const draw = () => {
    dirty = false;
    lastDraw = now();
    instance?.rerender(element());
  };
  const start = () => {
    instance = render(element(), {
      stdout: terminal as NodeJS.WriteStream,
      patchConsole: false,
      exitOnCtrlC: false,
      debug: options.debug ?? false,
    });
    lastDraw = now();
    const stderr = options.stderr;
    if (stderr?.isTTY) {
      release = captureWrites(stderr, (text) => {
        addNotice(state, text);
        dirty = true;
      });
    }
  };
  const timer = setInterval(() => {
    if (instance && (dirty || now() - lastDraw >= 1000)) draw();
  }, options.intervalMs ?? 200);
  timer.unref();
  const onResize = () => draw();
  terminal.on('resize', onResize);
  return {
    sink: (event) => {
      applyEvent(state, event);
      dirty = true;
      if (!instance) start();
    },
    close: async () => {
      clearInterval(timer);
      terminal.off('resize', onResize);
      if (!instance) return;
      draw();
      instance.unmount();
      await instance.waitUntilExit().catch(() => undefined);
      release?.();
    },
  };
}
