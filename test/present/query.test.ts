import { describe, expect, it } from 'vitest';
import { presentQuery } from '../../src/present/query.js';
import type { DeadLetterReport, WorkflowReport } from '../../src/store/index.js';

const workflows: WorkflowReport[] = [
  {
    name: 'solver-requests-1',
    kind: 'solver',
    namespace: 'thoth',
    parameters: { THOTH_SOLVER_NAME: 'solver-rhel-8-py38' },
    status: 'Failed',
    created_at: '2024-05-01T12:00:00.123Z',
    source: { topic: 'thoth.investigator.unresolved-package', partition: 0, offset: 3 },
  },
];

describe('thoth query output', () => {
  it('shows the ledger as a table: time to the second, the source by its message type', async () => {
    expect(await presentQuery({ what: 'workflows', data: workflows }, 'table', { color: false, width: 120 })).toEqual({
      output:
        'NAME               KIND    NAMESPACE  STATUS  CREATED               SOURCE\n' +
        'solver-requests-1  solver  thoth      Failed  2024-05-01T12:00:00Z  unresolved-package[0]@3\n',
    });
  });

  it('prints nothing on stdout for an empty table, and says why on stderr', async () => {
    expect(await presentQuery({ what: 'workflows', data: [] }, 'table', { color: false })).toEqual({
      output: '',
      empty: 'no workflows match',
    });
    expect(await presentQuery({ what: 'workflows', data: [] }, 'json', {})).toEqual({ output: '[]\n' });
  });

  it('keeps secrets out of dead letters written before they were stored masked', async () => {
    const letter: DeadLetterReport = {
      topic: 't',
      partition: 0,
      offset: 1,
      error_class: 'NotJson',
      reason: 'index https://u:pw@x/ refused',
      value: { base_registry_password: 'pw1' },
    };
    const { output } = await presentQuery({ what: 'dead-letters', data: [letter] }, 'json', {});
    expect(JSON.parse(output)).toEqual([{ ...letter, reason: 'index https://***@x/ refused', value: { base_registry_password: '***' } }]);
  });
});
