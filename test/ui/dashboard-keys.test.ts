/**
 * The dashboard's live figures and keys: messages/s, lag per partition, the
 * topic list with the selection (↑/↓), h and r halting and resuming the
 * selected topic through the run's controls, q quitting, Ctrl-C interrupting,
 * the keyboard given back on close, and a clean redraw when the terminal shrinks.
 */
import { PassThrough } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import type { InvestigatorEvent } from '../../src/investigate/events.js';
import { dashboardLines } from '../../src/ui/dashboard-layout.js';
import { applyEvent, emptyDashboard, messagesPerSecond } from '../../src/ui/dashboard-model.js';
import { CLEAR_SCREEN, renderDashboard, type DashboardControls } from '../../src/ui/render-dashboard.js';
import { loadInk } from '../../src/ui/ink.js';

// The dashboard draws with ink once it is loaded (present/investigate.ts opens it so).
beforeAll(async () => {
  await loadInk();
});

const T0 = Date.parse('2026-11-27T12:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();
const SOLVED = 'thoth.solver.solved-package';
const UNRESOLVED = 'thoth.investigator.unresolved-package';
const MISSING = 'thoth.investigator.missing-package';

type FakeTerminal = PassThrough & { isTTY: boolean; columns: number; rows: number; text(): string };
function fakeTerminal(columns: number, rows: number): FakeTerminal {
  const out = new PassThrough() as PassThrough & Partial<FakeTerminal>;
  let text = '';
  out.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  Object.assign(out, { isTTY: true, columns, rows, text: () => text });
  return out as FakeTerminal;
}

type FakeKeyboard = PassThrough & { isTTY: boolean; raw: boolean[]; setRawMode(raw: boolean): void };
function fakeKeyboard(): FakeKeyboard {
  const input = new PassThrough() as PassThrough & Partial<FakeKeyboard>;
  const raw: boolean[] = [];
  Object.assign(input, { isTTY: true, raw, setRawMode: (on: boolean) => raw.push(on) });
  return input as FakeKeyboard;
}

const plain = (text: string) => text.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '');
const lastFrame = (out: FakeTerminal) => {
  const text = plain(out.text());
  return text.slice(text.lastIndexOf('thoth investigate')).replace(/\n+$/, '');
};
const tick = () => new Promise((resolve) => setTimeout(resolve, 20));

function started(): InvestigatorEvent {
  return { ts: iso(T0), event: 'started', source: 'kafka://127.0.0.1:9092', group: 'thoth.investigator', workflows: 'record' };
}

describe('dashboard figures', () => {
  it('shows messages/s over the last whole seconds and the lag of each partition by topic', () => {
    const state = emptyDashboard();
    applyEvent(state, started());
    // 10 records in each of the 5 seconds before now, 99 in the current second (not counted yet).
    for (let s = 0; s < 5; s++)
      for (let i = 0; i < 10; i++)
        applyEvent(state, { ts: iso(T0 + s * 1000 + i), event: 'received', topic: SOLVED, partition: 0, offset: i });
    for (let i = 0; i < 99; i++) applyEvent(state, { ts: iso(T0 + 5000 + i), event: 'received', topic: SOLVED, partition: 0, offset: i });
    expect(messagesPerSecond(state, T0 + 5500)).toBe(10);
    applyEvent(state, {
      ts: iso(T0 + 5000),
      event: 'lag',
      total: 12,
      partitions: 3,
      byPartition: [
        { topic: SOLVED, partition: 0, lag: 5 },
        { topic: SOLVED, partition: 1, lag: 7 },
        { topic: UNRESOLVED, partition: 0, lag: 0 },
      ],
    });
    state.topics = [SOLVED, UNRESOLVED, MISSING];
    state.halted = [UNRESOLVED];
    const text = dashboardLines(state, { now: T0 + 5500, width: 120, rows: 50 }).map((l) => l.text);
    expect(text.join('\n')).toContain('lag 12  10.0 msg/s');
    const at = text.findIndex((l) => l.startsWith('topics'));
    expect(text.slice(at, at + 4)).toEqual([
      'topics  ↑/↓ select · h halt · r resume · q quit',
      '› solved-package      lag 12 (p0 5 · p1 7)',
      '  unresolved-package  HALTED  lag 0',
      '  missing-package     lag -',
    ]);
  });
});

describe('dashboard keys', () => {
  it('selects with the arrows, halts and resumes the selected topic, and gives the keyboard back on close', async () => {
    const out = fakeTerminal(120, 50);
    const keys = fakeKeyboard();
    const calls: string[] = [];
    const quits: boolean[] = [];
    const controls: DashboardControls = {
      topics: [SOLVED, UNRESOLVED, MISSING],
      halt: (topic) => (calls.push(`halt ${topic}`), 'halted'),
      resume: (topic) => (calls.push(`resume ${topic}`), 'resumed'),
    };
    const dashboard = renderDashboard(out, { color: false, intervalMs: 5, debug: true, stdin: keys, onQuit: (i) => quits.push(i) });
    expect(keys.raw).toEqual([true]);
    dashboard.sink(started());
    dashboard.attach(controls);
    keys.write('\u001b[B');
    await tick();
    expect(lastFrame(out)).toContain('› unresolved-package');
    keys.write('h');
    await tick();
    // The run's halt emits 'paused'; the dashboard shows it when the event comes.
    dashboard.sink({ ts: iso(T0), event: 'paused', topic: UNRESOLVED, by: 'dashboard' });
    await tick();
    expect(lastFrame(out)).toMatch(/› unresolved-package +HALTED/);
    expect(lastFrame(out)).toContain('halted unresolved-package');
    keys.write('\u001b[B');
    keys.write('\u001b[B'); // past the end: stays on the last
    await tick();
    keys.write('r');
    await tick();
    keys.write('\u001b[A');
    await tick();
    keys.write('r');
    await tick();
    expect(calls).toEqual([`halt ${UNRESOLVED}`, `resume ${MISSING}`, `resume ${UNRESOLVED}`]);
    keys.write('x'); // not a key: nothing
    keys.write('q');
    keys.write('\u0003');
    await tick();
    expect(quits).toEqual([false, true]);
    await dashboard.close();
    expect(keys.raw).toEqual([true, false]);
    expect(keys.listenerCount('data')).toBe(0);
  });

  it('clears the screen and redraws to the new width when the terminal shrinks, not when it grows', async () => {
    const out = fakeTerminal(120, 40);
    const dashboard = renderDashboard(out, { color: false, intervalMs: 5, debug: true });
    dashboard.sink(started());
    dashboard.sink({
      ts: iso(T0),
      event: 'dead-letter',
      topic: SOLVED,
      partition: 0,
      offset: 3,
      errorClass: 'NotJson',
      reason: 'x '.repeat(80),
    });
    await tick();
    const before = out.text().length;
    out.columns = 150;
    out.emit('resize');
    expect(out.text().slice(before)).not.toContain(CLEAR_SCREEN);
    const grown = out.text().length;
    out.columns = 50;
    out.emit('resize');
    const after = out.text().slice(grown);
    expect(after).toContain(CLEAR_SCREEN);
    // The last frame drawn after the clear (ink's debug mode writes every frame whole).
    const frame = plain(after.slice(after.lastIndexOf(CLEAR_SCREEN)));
    const lines = frame.slice(frame.lastIndexOf('thoth investigate')).replace(/\n+$/, '').split('\n');
    expect(lines.length).toBeGreaterThan(3);
    for (const line of lines) expect([...line].length, JSON.stringify(lines)).toBeLessThanOrEqual(50);
    await dashboard.close();
  });
});
