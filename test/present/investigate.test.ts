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
});
