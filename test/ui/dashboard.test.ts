import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { InvestigatorEvent } from '../../src/investigate/events.js';
import { applyEvent, describeEvent, emptyDashboard, RECENT_EVENTS } from '../../src/ui/dashboard-model.js';
import { renderDashboard } from '../../src/ui/render-dashboard.js';

const at = '2026-11-27T12:00:00.000Z';
const where = { topic: 'thoth.solver.solved-package', partition: 0, type: 'solved-package' };
const EVENTS: InvestigatorEvent[] = [
  { ts: at, event: 'started', source: 'kafka://127.0.0.1:9092', group: 'thoth.investigator', workflows: 'record', modes: ['middletier'] },
  { ts: at, event: 'received', ...where, offset: 0 },
  { ts: at, event: 'recorded', ...where, offset: 0, what: 'solved', key: { packageName: 'requests', packageVersion: '2.25.1', indexUrl: 'https://index.example/simple' }, solver: 'solver-rhel-8-py38' },
  { ts: at, event: 'recorded-workflow', ...where, offset: 0, name: 'security-indicators-requests-2-25-1-abc', kind: 'security-indicators', namespace: 'thoth' },
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
    expect(state.tally).toMatchObject({ received: 3, processed: 1, deadLetters: 1, scheduled: 1, known: 1, recorded: 1, byType: { 'solved-package': 3 }, byWorkflowKind: { 'security-indicators': 1 } });
    expect(state).toMatchObject({ source: 'kafka://127.0.0.1:9092', group: 'thoth.investigator', workflows: 'record', lag: 5, halted: ['thoth.solver.solved-package'] });
    applyEvent(state, { ts: at, event: 'resumed', topic: 'thoth.solver.solved-package' });
    expect(state.halted).toEqual([]);
  });

  it('keeps only the last events worth a line', () => {
    const state = emptyDashboard();
    for (let i = 0; i < RECENT_EVENTS + 5; i++) applyEvent(state, { ts: at, event: 'dead-letter', ...where, offset: i, errorClass: 'NotJson', reason: 'r' });
    applyEvent(state, { ts: at, event: 'received', ...where, offset: 99 });
    expect(state.recent).toHaveLength(RECENT_EVENTS);
    expect(state.recent.at(-1)!.offset).toBe(RECENT_EVENTS + 4);
  });

  it('describes events in one line', () => {
    expect(describeEvent(EVENTS[8]!)).toBe('dead-letter       NotJson: the value is not valid JSON solved-package@0:2');
    expect(describeEvent(EVENTS[2]!)).toBe('recorded          requests==2.25.1 (https://index.example/simple) solved by solver-rhel-8-py38 solved-package@0:0');
    expect(describeEvent(EVENTS[3]!)).toBe('recorded-workflow security-indicators security-indicators-requests-2-25-1-abc solved-package@0:0');
  });
});

describe('dashboard on a terminal', () => {
  it('draws the counts and the last events, and a final frame on close', async () => {
    const out = new PassThrough() as PassThrough & { isTTY: boolean; columns: number; rows: number };
    out.isTTY = true;
    out.columns = 120;
    out.rows = 40;
    let text = '';
    out.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    const dashboard = renderDashboard(out, { color: false, intervalMs: 5, now: () => Date.parse(at) + 65_000, debug: true });
    for (const event of EVENTS) dashboard.sink(event);
    await dashboard.close();
    const lastFrame = text.slice(text.lastIndexOf('thoth investigate'));
    expect(lastFrame).toContain('kafka://127.0.0.1:9092  group thoth.investigator  workflows: record  up 00:01:05');
    expect(lastFrame).toContain('received 3  processed 1  dead letters 1  duplicates 0  retries 0  lag 5');
    expect(lastFrame).toContain('by type   solved-package 3');
    expect(lastFrame).toContain('workflows scheduled 1 (security-indicators 1)  skipped as known 1');
    expect(lastFrame).toContain('paused    thoth.solver.solved-package');
    expect(lastFrame).toContain('dead-letter       NotJson: the value is not valid JSON');
  });
});
