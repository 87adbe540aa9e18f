import { describe, expect, it } from 'vitest';
import { presentPositions } from '../../src/present/publish.js';

const positions = [
  { topic: 'thoth.investigator.unresolved-package', partition: 0, offset: 7, key: 'requests==2.25.1' },
  { topic: 'thoth.investigator.unresolved-package', partition: 1, offset: 0, key: null },
];

describe('thoth publish output', () => {
  it('says where each message landed', async () => {
    expect(await presentPositions(positions, 'table')).toBe(
      [
        'TOPIC                                  PARTITION  OFFSET  KEY',
        'thoth.investigator.unresolved-package  0          7       requests==2.25.1',
        'thoth.investigator.unresolved-package  1          0',
        '',
      ].join('\n'),
    );
  });

  it('is one line per message when piped, and a document with -o yaml', async () => {
    expect(await presentPositions(positions.slice(0, 1), 'ndjson')).toBe(
      '{"topic":"thoth.investigator.unresolved-package","partition":0,"offset":7,"key":"requests==2.25.1"}\n',
    );
    expect(await presentPositions([{ topic: 't', partition: 0, offset: 7, key: null }], 'yaml')).toBe(
      '- topic: t\n  partition: 0\n  offset: 7\n  key: null\n',
    );
  });
});
