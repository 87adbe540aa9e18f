import { describe, expect, it } from 'vitest';
import type { RunSummary } from '../../src/investigate/summary.js';
import { formatSummaryText } from '../../src/present/investigate.js';

const summary = {
  event: 'summary',
  source: 'fixtures/streams/continuous-learning.ndjson',
  reason: 'end',
  counts: {
    received: 1,
    processed: 1,
    duplicates: 0,
    skipped: 0,
    deadLetters: 0,
    retries: 0,
    published: 0,
    workflowsScheduled: 1,
    workflowsKnown: 0,
    knowledgeRecorded: 1,
    badLines: 0,
  },
  messagesByType: { 'unresolved-package': 1 },
  learned: ['requests==2.25.1 (https://index.example/simple) requested'],
  learnedTotal: 1,
  workflowsTotal: 1,
  workflows: [
    {
      name: 'solver-requests-2-25-1-fedora-35-py310-454a781cee',
      kind: 'solver',
      namespace: 'thoth',
      status: 'recorded',
      parameters: {
        THOTH_SOLVER_NAME: 'solver-fedora-35-py310',
        THOTH_SOLVER_PACKAGES: 'requests===2.25.1',
        THOTH_SOLVER_INDEXES: 'https://index.example/simple',
      },
    },
  ],
  cache: { path: '/tmp/thoth.db', tables: { package_versions: 1, solver_results: 0, workflows: 1, dead_letters: 0 } },
} as unknown as RunSummary;

describe('the text summary of a run', () => {
  it('keeps each workflow on one line of the terminal, shortening its parameters but never its name', () => {
    const text = formatSummaryText(summary, { width: 140 });
    const line = text.split('\n').find((l) => l.includes('solver-requests-2-25-1'))!;
    expect(line.length).toBeLessThanOrEqual(140);
    expect(line).toContain('thoth/solver-requests-2-25-1-fedora-35-py310-454a781cee');
    expect(line).toContain('THOTH_SOLVER_NAME=solver-fedora-35-py310');
    expect(line.endsWith('…')).toBe(true);
  });

  it('prints the parameters whole when piped (no width)', () => {
    expect(formatSummaryText(summary)).toContain('THOTH_SOLVER_PACKAGES=requests===2.25.1');
  });

  it('counts what a large run learned and scheduled, lists the first, and names the query for the rest', () => {
    const workflow = summary.workflows[0];
    const large = {
      ...summary,
      learned: Array.from({ length: 100 }, (_, i) => `package-${i}==1.0.0 exists`),
      learnedTotal: 40_000,
      workflows: Array.from({ length: 100 }, (_, i) => ({ ...workflow, name: `solver-${i}` })),
      workflowsTotal: 20_000,
      more: 'thoth query workflows --since 2026-12-05T18:00:00.000Z',
    } as RunSummary;
    const text = formatSummaryText(large, { limit: 50 });
    expect(text).toContain('Learned (40000):');
    expect(text).toContain('… and 39950 more');
    expect(text).toContain('Workflows (20000):');
    expect(text).toContain('… and 19950 more (thoth query workflows --since 2026-12-05T18:00:00.000Z)');
    expect(text.split('\n').filter((l) => l.startsWith('  ') && l.includes('thoth/solver-')).length).toBe(50);
  });
});
