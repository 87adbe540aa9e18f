import { describe, expect, it } from 'vitest';
import { presentReplaySummary, presentSummary } from '../../src/present/replay.js';
import type { ReplaySummary } from '../../src/services/replay.js';

const summary: ReplaySummary = {
  read: 5,
  sent: 4,
  invalid: 1,
  malformed: 1,
  refused: 0,
  topics: { 'thoth.a': 4 },
  stopped: false,
  interrupted: false,
  elapsedMs: 1234,
};

describe('thoth replay summary', () => {
  it('says what was sent and what was skipped', () => {
    expect(presentSummary(summary, { validateOnly: false, includeInvalid: false })).toBe(
      'sent 4 messages in 1.2s; skipped 1 invalid and 1 malformed line\nTOPIC    SENT\nthoth.a  4\n',
    );
  });

  it('counts what --validate-only checked, and says --strict stopped', () => {
    expect(presentSummary({ ...summary, sent: 0, malformed: 0, stopped: true }, { validateOnly: true, includeInvalid: false })).toBe(
      'checked 5 lines: 4 valid, 1 invalid, 0 malformed\nstopped at the first bad line (--strict)\nTOPIC    VALID\nthoth.a  4\n',
    );
  });

  it('says where a failed replay stopped, that nothing from there on was acknowledged, and how to resume', () => {
    const failed = {
      ...summary,
      refused: 2,
      failed: { reason: 'the broker went away', file: 'rec.ndjson', line: 501, unacknowledged: 500 },
    };
    expect(presentSummary(failed, { validateOnly: false, includeInvalid: false })).toBe(
      'sent 4 messages in 1.2s; skipped 1 invalid and 2 refused by the broker and 1 malformed line\n' +
        'stopped: the broker went away\n' +
        'every line before rec.ndjson:501 was sent (or skipped and reported above); none from rec.ndjson:501 on was acknowledged by the broker (the 500 lines of the batch in flight may have been written if the broker took them before failing)\n' +
        'to send the rest, run the same command with --resume-from rec.ndjson:501\n' +
        'TOPIC    SENT\nthoth.a  4\n',
    );
  });

  it('puts the table on stderr, and a document asked for with -o on stdout', async () => {
    expect((await presentReplaySummary(summary, { validateOnly: false, includeInvalid: false, output: 'table' })).stdout).toBeUndefined();
    const json = await presentReplaySummary(summary, { validateOnly: false, includeInvalid: false, output: 'json' });
    expect(json.stderr).toBe('');
    expect(JSON.parse(json.stdout!)).toEqual(summary);
  });
});
