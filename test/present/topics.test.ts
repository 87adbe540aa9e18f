import { describe, expect, it } from 'vitest';
import { presentCreatedTopics, presentTopics, type TopicRow } from '../../src/present/topics.js';

const rows: TopicRow[] = [
  { topic: 'thoth.solver.solved-package', type: 'solved-package', exists: true, partitions: 3, messages: 12 },
  { topic: 'thoth.investigator.dead-letter', type: 'dead-letter', exists: false, partitions: null, messages: null },
];

describe('thoth topics output', () => {
  it('is an aligned table for people', async () => {
    expect(await presentTopics(rows, 'table')).toBe(
      [
        'TOPIC                           TYPE            EXISTS  PARTITIONS  MESSAGES',
        'thoth.solver.solved-package     solved-package  yes     3           12',
        'thoth.investigator.dead-letter  dead-letter     no      -           -',
        '',
      ].join('\n'),
    );
  });

  it('is one JSON object per line with -o ndjson', async () => {
    expect(await presentTopics(rows, 'ndjson')).toBe(
      '{"topic":"thoth.solver.solved-package","type":"solved-package","exists":true,"partitions":3,"messages":12}\n' +
        '{"topic":"thoth.investigator.dead-letter","type":"dead-letter","exists":false,"partitions":null,"messages":null}\n',
    );
  });

  it('leaves out the message count, then the type, on a narrow terminal; -o wide and -o name', async () => {
    expect((await presentTopics(rows, 'table', 70)).split('\n')[0]).toBe(
      'TOPIC                           TYPE            EXISTS  PARTITIONS',
    );
    expect((await presentTopics(rows, 'table', 60)).split('\n')[0]).toBe('TOPIC                           EXISTS  PARTITIONS');
    expect((await presentTopics(rows, 'wide', 50)).split('\n')[0]).toMatch(/MESSAGES$/);
    expect(await presentTopics(rows, 'name')).toBe('thoth.solver.solved-package\nthoth.investigator.dead-letter\n');
  });

  it('lists what create created', async () => {
    expect(await presentCreatedTopics(['a', 'b'], 'table')).toBe('a\nb\n');
    expect(await presentCreatedTopics(['a', 'b'], 'ndjson')).toBe('"a"\n"b"\n');
    expect(await presentCreatedTopics([], 'json')).toBe('[]\n');
  });
});
