import { PassThrough } from 'node:stream';
import { render } from 'ink';
import { createElement } from 'react';
import { beforeAll, describe, expect, it } from 'vitest';
import type { InvestigatorEvent } from '../../src/investigate/events.js';
import { Dashboard } from '../../src/ui/dashboard.js';
import { dashboardLines, maskText, packItems, wrapWords } from '../../src/ui/dashboard-layout.js';
import { addNotice, applyEvent, describeEvent, emptyDashboard, RECENT_EVENTS, type DashboardState } from '../../src/ui/dashboard-model.js';
import { renderDashboard } from '../../src/ui/render-dashboard.js';
import { loadInk } from '../../src/ui/ink.js';

// The dashboard draws with ink once it is loaded (present/investigate.ts opens it so).
beforeAll(async () => {
  await loadInk();
});

const at = '2026-11-27T12:00:00.000Z';
const where = { topic: 'thoth.solver.solved-package', partition: 0, type: 'solved-package' };
const EVENTS: InvestigatorEvent[] = [
  { ts: at, event: 'started', source: 'kafka://127.0.0.1:9092', group: 'thoth.investigator', workflows: 'record', modes: ['middletier'] },
  { ts: at, event: 'received', ...where, offset: 0 },
  {
    ts: at,
    event: 'recorded',
    ...where,
    offset: 0,
    what: 'solved',
    key: { packageName: 'requests', packageVersion: '2.25.1', indexUrl: 'https://index.example/simple' },
    solver: 'solver-rhel-8-py38',
  },
  {
    ts: at,
    event: 'recorded-workflow',
    ...where,
    offset: 0,
    name: 'security-indicators-requests-2-25-1-abc',
    kind: 'security-indicators',
    namespace: 'thoth',
  },
  { ts: at, event: 'processed', ...where, offset: 0 },
  { ts: at, event: 'received', ...where, offset: 1 },
  { ts: at, event: 'known', ...where, offset: 1, name: 'security-indicators-requests-2-25-1-abc', kind: 'security-indicators' },
  { ts: at, event: 'received', ...where, offset: 2 },
  { ts: at, event: 'dead-letter', ...where, offset: 2, errorClass: 'NotJson', reason: 'the value is not valid JSON' },
  { ts: at, event: 'lag', total: 5, partitions: 1 },
  { ts: at, event: 'paused', topic: 'thoth.solver.solved-package', by: 'operator' },
];

describe('dashboard state', () => {
  it('counts messages by type, workflows by kind, dead letters, lag and paused topics', () => {
    const state = emptyDashboard();
    for (const event of EVENTS) applyEvent(state, event);
    expect(state.tally).toMatchObject({
      received: 3,
      processed: 1,
      deadLetters: 1,
      scheduled: 1,
      known: 1,
      recorded: 1,
      byType: { 'solved-package': 3 },
      byWorkflowKind: { 'security-indicators': 1 },
    });
    expect(state).toMatchObject({
      source: 'kafka://127.0.0.1:9092',
      group: 'thoth.investigator',
      workflows: 'record',
      lag: 5,
      halted: ['thoth.solver.solved-package'],
    });
    applyEvent(state, { ts: at, event: 'resumed', topic: 'thoth.solver.solved-package' });
    expect(state.halted).toEqual([]);
  });

  it('keeps only the last events worth a line', () => {
    const state = emptyDashboard();
    for (let i = 0; i < RECENT_EVENTS + 5; i++)
      applyEvent(state, { ts: at, event: 'dead-letter', ...where, offset: i, errorClass: 'NotJson', reason: 'r' });
    applyEvent(state, { ts: at, event: 'received', ...where, offset: 99 });
    expect(state.recent).toHaveLength(RECENT_EVENTS);
    expect(state.recent.at(-1)!.offset).toBe(RECENT_EVENTS + 4);
  });

  it('describes events in one line', () => {
    expect(describeEvent(EVENTS[8])).toBe('dead-letter NotJson: the value is not valid JSON solved-package@0:2');
    expect(describeEvent(EVENTS[2])).toBe(
      'recorded    requests==2.25.1 (https://index.example/simple) solved by solver-rhel-8-py38 solved-package@0:0',
    );
    // The workflow's name already says its kind.
    expect(describeEvent(EVENTS[3])).toBe('recorded wf security-indicators-requests-2-25-1-abc solved-package@0:0');
    expect(describeEvent({ ts: at, event: 'scheduled', name: 'adviser-x1', kind: 'solver' })).toBe('scheduled   solver adviser-x1');
    // Idle with a message still failing transiently: said, not hidden behind the summary.
    expect(describeEvent({ ts: at, event: 'idle-exit', idleSeconds: 30, failing: 2 })).toBe(
      'idle-exit   after 30s, 2 still failing (left uncommitted)',
    );
    expect(describeEvent({ ts: at, event: 'idle-exit', idleSeconds: 1 })).toBe('idle-exit   after 1s');
  });
});

type FakeTerminal = PassThrough & { isTTY: boolean; columns: number; rows: number; text(): string };

/** A stream that says it is a terminal of the given size and keeps what is written to it. */
function fakeTerminal(columns: number, rows: number): FakeTerminal {
  const out = new PassThrough() as PassThrough & Partial<FakeTerminal>;
  let text = '';
  out.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  Object.assign(out, { isTTY: true, columns, rows, text: () => text });
  return out as FakeTerminal;
}

const plain = (text: string) => text.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '');

/** The last frame drawn (ink's debug mode writes every frame whole), as the lines a person reads. */
function lastFrame(out: FakeTerminal): string[] {
  const text = plain(out.text());
  return text.slice(text.lastIndexOf('thoth investigate')).replace(/\n+$/, '').split('\n');
}

function busyState(): DashboardState {
  const state = emptyDashboard();
  for (const event of EVENTS) applyEvent(state, event);
  const types = [
    'unresolved-package',
    'solved-package',
    'hash-mismatch',
    'missing-package',
    'missing-version',
    'package-released',
    'si-unanalyzed-package',
    'unrevsolved-package',
    'adviser-trigger',
    'provenance-checker-trigger',
    'kebechet-trigger',
    'inspection-completed',
    'update-provides-source-distro',
    'cve-provided',
    'build-analysis-trigger',
  ];
  types.forEach((type, i) => {
    for (let n = 0; n <= i; n++)
      applyEvent(state, { ts: at, event: 'received', topic: `thoth.${type}`, partition: 0, offset: 100 + n, type });
  });
  for (const kind of ['solver', 'solver', 'revsolver', 'adviser'])
    applyEvent(state, {
      ts: at,
      event: 'recorded-workflow',
      topic: 'thoth.x',
      type: 'unresolved-package',
      partition: 1,
      offset: 7,
      kind,
      name: `${kind}-flask-2-0-1-0123456789`,
    });
  return state;
}

describe('the knowledge topic and decisions on the dashboard', () => {
  const events: InvestigatorEvent[] = [
    EVENTS[0],
    { ts: at, event: 'knowledge', state: 'catching-up', topic: 'prod.thoth.investigator.knowledge', behind: 1200 },
  ];

  it('says the replica is still reading the knowledge topic, and how much is left, until it has caught up', () => {
    const state = emptyDashboard();
    for (const event of events) applyEvent(state, event);
    const text = () => dashboardLines(state, { now: Date.parse(at), width: 100, rows: 30 }).map((l) => l.text);
    expect(text()).toContainEqual(expect.stringContaining('catching up: 1200 record(s) to read  prod.thoth.investigator.knowledge'));
    applyEvent(state, { ts: at, event: 'knowledge', state: 'caught-up', topic: 'prod.thoth.investigator.knowledge', facts: 5000 });
    expect(text()).toContainEqual(expect.stringContaining('caught up (5000 facts read)'));
  });

  it('counts the decisions this replica took and the triggers it wrote', () => {
    const state = emptyDashboard();
    for (const event of [
      ...events,
      { ts: at, event: 'decision-trigger', decision: 'advice:adv-1', partition: 0 },
      { ts: at, event: 'decision', decision: 'advice:adv-1', outcome: 'taken' },
      { ts: at, event: 'decision', decision: 'advice:adv-1', outcome: 'not-due', reason: 'its re-run was published' },
    ] as InvestigatorEvent[])
      applyEvent(state, event);
    expect(state.decisions).toEqual({ taken: 1, notDue: 1, triggers: 1 });
    const text = dashboardLines(state, { now: Date.parse(at), width: 100, rows: 30 }).map((l) => l.text);
    expect(text).toContainEqual(expect.stringContaining('taken 1  not due 1  triggered 1'));
    expect(text).toContainEqual(expect.stringContaining('decision    advice:adv-1 taken'));
  });
});

describe('dashboard on a terminal', () => {
  it('shows messages by type, workflows scheduled and known, the dead letter with its reason and the lag, within 80 columns', async () => {
    const out = fakeTerminal(80, 24);
    const state = busyState();
    const ink = render(createElement(Dashboard, { state, now: Date.parse(at) + 65_000, color: false, width: 80, rows: 24 }), {
      stdout: out as unknown as NodeJS.WriteStream,
      debug: true,
      patchConsole: false,
      exitOnCtrlC: false,
    });
    ink.unmount();
    const lines = lastFrame(out);
    const frame = lines.join('\n');
    expect(frame).toContain('source      kafka://127.0.0.1:9092  group thoth.investigator  workflows record');
    expect(frame).toMatch(/received 123 +processed 1 +dead letters 1 +duplicates 0 +retries 0/);
    expect(frame).toContain('lag 5');
    expect(frame).toMatch(/by type +build-analysis-trigger 15 · cve-provided 14/);
    expect(frame).toMatch(/\+\d+ more/);
    expect(frame).toContain('workflows   scheduled 5  skipped as known 1');
    expect(frame).toContain('solver 2 · adviser 1 · revsolver 1 · security-indicators 1');
    expect(frame).toContain('dead letter 12:00:00 solved-package@0:2 NotJson: the value is not valid JSON');
    expect(frame).toContain('paused      thoth.solver.solved-package');
    expect(frame).toContain('last events');
    expect(frame).toContain('12:00:00 recorded wf adviser-flask-2-0-1-0123456789 unresolved-package@1:7');
    for (const line of lines) expect([...line].length, line).toBeLessThanOrEqual(80);
    // Shorter than the screen: ink clears the whole terminal on every frame that fills it.
    expect(lines.length).toBeLessThan(24);
  });

  it('packs what does not fit a narrow line onto the next one and says how much is left out', () => {
    expect(packItems(['alpha 1', 'beta 2', 'gamma 3'], 16, ' · ', 3)).toEqual(['alpha 1 · beta 2', 'gamma 3']);
    expect(packItems(['alpha 1', 'beta 2', 'gamma 3', 'delta 4'], 17, ' · ', 1)).toEqual(['alpha 1 · +3 more']);
    expect(wrapWords('one two three four five six', 9, 2)).toEqual(['one two', 'three …']);
  });

  it('draws the final frame on close and leaves it on the screen', async () => {
    const out = fakeTerminal(120, 40);
    const dashboard = renderDashboard(out, { color: false, intervalMs: 5, now: () => Date.parse(at) + 65_000, debug: true });
    for (const event of EVENTS) dashboard.sink(event);
    dashboard.sink({ ts: '2026-11-27T12:01:05.000Z', event: 'stopped', reason: 'idle' });
    await dashboard.close();
    const frame = lastFrame(out).join('\n');
    expect(frame).toContain('thoth investigate  finished: idle');
    expect(frame).toContain('kafka://127.0.0.1:9092  group thoth.investigator  workflows record  up 00:01:05');
    expect(frame).toContain('received 3  processed 1  dead letters 1  duplicates 0  retries 0  lag 5');
    expect(frame).toContain('dead-letter NotJson: the value is not valid JSON solved-package@0:2');
  });

  it('prints notices above the dashboard before it starts, and inside it while it is drawn', async () => {
    const out = fakeTerminal(100, 30);
    const err = fakeTerminal(100, 30);
    const dashboard = renderDashboard(out, { color: false, stderr: err, intervalMs: 5, debug: true });
    err.write('broker: embedded (/tmp/x.db)\n');
    dashboard.sink(EVENTS[0]);
    err.write('warning: fixtures/x.ndjson:3: not JSON\n');
    for (const n of [1, 2, 3]) err.write(`operator notice ${n}\n`);
    await new Promise((resolve) => setTimeout(resolve, 30));
    await dashboard.close();
    err.write('after the dashboard\n');
    expect(err.text()).toBe('broker: embedded (/tmp/x.db)\nafter the dashboard\n');
    const frame = lastFrame(out).join('\n');
    expect(frame).toMatch(/notices \+1 +operator notice 1\n +operator notice 2\n +operator notice 3/);
    expect(frame).not.toContain('not JSON');
  });

  it('never shows passwords: URL credentials, password fields and secret values from the environment', () => {
    const state = emptyDashboard();
    applyEvent(state, { ts: at, event: 'started', source: 'kafka://svc:pa55word@10.0.0.1:9093', workflows: 'record' });
    applyEvent(state, {
      ts: at,
      event: 'dead-letter',
      ...where,
      offset: 4,
      errorClass: 'ValidationError',
      reason: 'registry_password="hunter2pw" is not allowed; SASL said sasl-Secret-42 was refused',
    });
    addNotice(state, 'kafka: could not authenticate with sasl-Secret-42');
    const text = dashboardLines(state, { now: Date.parse(at), width: 100, rows: 30, secrets: ['sasl-Secret-42'] })
      .map((line) => line.text)
      .join('\n');
    for (const secret of ['pa55word', 'hunter2pw', 'sasl-Secret-42']) expect(text).not.toContain(secret);
    expect(text).toContain('kafka://svc:***@10.0.0.1:9093');
    expect(maskText('token: abc123 and password=xyz')).toBe('token: *** and password=***');
  });
});
