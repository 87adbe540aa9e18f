/**
 * Dead letters read back from the dead-letter topic (src/store/dead-letter-records.ts): the cache keeps the
 * same copy the investigator keeps (secrets masked, a large value cut short), each record once, and says which
 * records are not dead letters.
 */
import { describe, expect, it } from 'vitest';
import { DEAD_LETTER_VALUE_CHARS } from '../../src/messages/dead-letter-copy.js';
import { DEAD_LETTER_HEADERS } from '../../src/messages/topics.js';
import { openStore } from '../../src/store/index.js';
import { tempDbPath } from './temp.js';

const ORIGIN = 'kafka://127.0.0.1:9092';

/** A record as the investigator writes it to the dead-letter topic (src/investigate/sources.ts). */
const record = (offset: number, value: string | null, extra: Record<string, string> = {}) => ({
  key: `pkg==${offset}`,
  timestamp: Date.parse('2026-12-07T10:00:00.000Z'),
  value,
  headers: {
    authorization: 'Bearer secret-token',
    trace: 'abc',
    [DEAD_LETTER_HEADERS.topic]: 'prod.thoth.solver.solved-package',
    [DEAD_LETTER_HEADERS.partition]: '2',
    [DEAD_LETTER_HEADERS.offset]: String(offset),
    [DEAD_LETTER_HEADERS.errorClass]: 'ValidationError',
    [DEAD_LETTER_HEADERS.reason]: "solved-package: field 'package_version' is required (str)",
    ...extra,
  },
});

describe('dead letters from the dead-letter topic', () => {
  it('keeps the copy the investigator keeps: source position, error, key, headers and value without secrets', () => {
    const store = openStore(tempDbPath(), { create: true });
    const kept = store.transaction(() =>
      store.keepDeadLetterRecords([record(7, JSON.stringify({ package_name: 'pkg', password: 'hunter2' }))], ORIGIN),
    );
    expect(kept).toEqual({ applied: 1, unreadable: [] });
    const [letter] = store.deadLetters();
    expect(letter).toMatchObject({
      origin: ORIGIN,
      topic: 'prod.thoth.solver.solved-package',
      partition: 2,
      offset: 7,
      error_class: 'ValidationError',
      reason: "solved-package: field 'package_version' is required (str)",
      key: 'pkg==7',
      headers: { authorization: '***', trace: 'abc' },
      value: { package_name: 'pkg', password: '***' },
      created_at: '2026-12-07T10:00:00.000Z',
    });
    store.close();
  });

  it('keeps each dead letter once, leaving the one the cache holds as it is', () => {
    const store = openStore(tempDbPath(), { create: true });
    store.transaction(() =>
      store.recordDeadLetter({
        origin: ORIGIN,
        topic: 'prod.thoth.solver.solved-package',
        partition: 2,
        offset: 7,
        errorClass: 'ValidationError',
        reason: 'the whole reason, longer than the header carries',
        value: { package_name: 'pkg' },
        headers: {},
        key: 'pkg==7',
        createdAt: '2026-12-07T09:59:59.000Z',
      }),
    );
    const read = () => store.transaction(() => store.keepDeadLetterRecords([record(7, '{}'), record(8, '{}')], ORIGIN));
    expect(read().applied).toBe(1);
    expect(read().applied).toBe(0);
    const letters = store.deadLetters();
    expect(letters.map((l) => l.offset).sort()).toEqual([7, 8]);
    expect(letters.find((l) => l.offset === 7)?.reason).toBe('the whole reason, longer than the header carries');
    store.close();
  });

  it('cuts a large value short as the investigator does, and keeps no value the topic left out', () => {
    const store = openStore(tempDbPath(), { create: true });
    const large = JSON.stringify({ text: 'x'.repeat(DEAD_LETTER_VALUE_CHARS * 2) });
    store.transaction(() =>
      store.keepDeadLetterRecords([record(1, large), record(2, null, { [DEAD_LETTER_HEADERS.valueOmitted]: '2000000 bytes' })], ORIGIN),
    );
    const [cut, omitted] = store.deadLetters().sort((a, b) => a.offset - b.offset);
    expect(cut.value_truncated).toBe(true);
    expect(omitted.value).toBeNull();
    expect(omitted.headers).not.toHaveProperty(DEAD_LETTER_HEADERS.valueOmitted);
    store.close();
  });

  it('says which records are not dead letters, and keeps the others', () => {
    const store = openStore(tempDbPath(), { create: true });
    const noSource = { key: null, timestamp: 0, value: '{}', headers: {} };
    const badOffset = record(3, '{}', { [DEAD_LETTER_HEADERS.offset]: 'three' });
    const kept = store.transaction(() => store.keepDeadLetterRecords([noSource, badOffset, record(4, '{}')], ORIGIN));
    expect(kept).toEqual({
      applied: 1,
      unreadable: [
        { index: 0, reason: `not a dead letter: it has no ${DEAD_LETTER_HEADERS.topic} header` },
        { index: 1, reason: `not a dead letter: its ${DEAD_LETTER_HEADERS.offset} header is not an offset` },
      ],
    });
    store.close();
  });
});
