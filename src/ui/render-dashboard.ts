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
import type { Instance } from 'ink';
import type { EventSink } from '../investigate/events.js';
import { Dashboard } from './dashboard.js';
import { loadInk, loadedInk } from './ink.js';
import { addNotice, applyEvent, emptyDashboard, selectTopic } from './dashboard-model.js';

/** What the keys act on: the run's topics (src/investigate/operator.ts TopicControls). */
export interface DashboardControls {
  readonly topics: string[];
  readonly halt: (topic: string) => 'halted' | 'already' | 'unknown';
  readonly resume: (topic: string) => 'resumed' | 'already' | 'unknown';
}

type KeyboardInput = NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?(raw: boolean): unknown };

/** The screen cleared and the cursor home: after a shrink, the old frame's wrapped lines cannot be erased one by one. */
export const CLEAR_SCREEN = '\u001b[2J\u001b[3J\u001b[H';

export interface DashboardHandle {
  sink: EventSink;
  /** Hands over the run's topic controls: ↑/↓ select a topic, h halts it, r resumes it. */
  readonly attach: (controls: DashboardControls) => void;
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
  /** The keyboard (a terminal stdin, read in raw mode while the dashboard is up). */
  stdin?: KeyboardInput;
  /** q quits (interrupt false); Ctrl-C, which raw mode turns into a key, interrupts (true). */
  onQuit?: (interrupt: boolean) => void;
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

/** renderDashboard once ink is loaded (src/ui/ink.ts). */
export async function openDashboard(stdout: NodeJS.WritableStream, options: DashboardOptions): Promise<DashboardHandle> {
  await loadInk();
  return renderDashboard(stdout, options);
}

/** The dashboard on `stdout`; ink must be loaded (openDashboard, or loadInk first). */
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
    instance = loadedInk().render(element(), {
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
  // A terminal that shrinks wraps the old frame's lines, which ink then cannot erase one by one: clear the screen.
  let size = { columns: terminal.columns ?? 0, rows: terminal.rows ?? 0 };
  const onResize = () => {
    const now = { columns: terminal.columns ?? 0, rows: terminal.rows ?? 0 };
    if (instance && (now.columns < size.columns || now.rows < size.rows)) {
      instance.clear();
      terminal.write(CLEAR_SCREEN);
    }
    size = now;
    draw();
  };
  terminal.on('resize', onResize);

  let controls: DashboardControls | undefined;
  const keyboard = options.stdin?.isTTY && options.onQuit ? options.stdin : undefined;
  const onKey = (data: Buffer | string) => {
    const key = data.toString();
    const topic = state.topics[state.selected];
    if (key === 'q' || key === 'Q') return options.onQuit!(false);
    if (key === '\u0003') return options.onQuit!(true);
    if (key === '\u001b[A' || key === 'k') selectTopic(state, -1);
    else if (key === '\u001b[B' || key === 'j') selectTopic(state, 1);
    else if ((key === 'h' || key === 'r') && controls && topic) {
      const short = topic.split('.').pop();
      const outcome = key === 'h' ? controls.halt(topic) : controls.resume(topic);
      state.keyNote = {
        halted: `halted ${short}`,
        resumed: `resumed ${short}`,
        already: `${short} is already ${key === 'h' ? 'halted' : 'running'}`,
        unknown: `${short} is not consumed`,
      }[outcome];
    } else return;
    draw();
  };
  if (keyboard) {
    keyboard.setRawMode?.(true);
    keyboard.on('data', onKey);
    keyboard.resume();
  }
  const releaseKeyboard = () => {
    if (!keyboard) return;
    keyboard.off('data', onKey);
    keyboard.setRawMode?.(false);
    keyboard.pause();
  };

  return {
    sink: (event) => {
      applyEvent(state, event);
      dirty = true;
      if (!instance) start();
    },
    attach: (given) => {
      controls = given;
      state.topics = [...given.topics];
      state.selected = 0;
      dirty = true;
    },
    close: async () => {
      clearInterval(timer);
      terminal.off('resize', onResize);
      releaseKeyboard();
      if (!instance) return;
      draw();
      instance.unmount();
      await instance.waitUntilExit().catch(() => undefined);
      release?.();
    },
  };
}
