/**
 * The batch journal's file (src/transport/batch-journal.ts) over a real cache: what `keep` writes, what `settle`
 * takes from it and when, and what it makes of a file it cannot read. Against a broker: kafka-batch-journal.int.test.ts.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTurns } from '../../src/core/turns.js';
import { openStore, type Store } from '../../src/store/index.js';
import { batchJournal, offsetMetadata, tokenOf, type BatchJournal } from '../../src/transport/batch-journal.js';
import { cacheWrites } from '../../src/transport/batch.js';

let dir: string;
let store: Store;
const part = { group: 'g', topic: 'thoth.investigator.unresolved-package', partition: 2 };

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'thoth-journal-'));
  store = openStore(join(dir, 'cache.db'), { create: true });
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const journalOf = () => batchJournal({ path: store.path, store, turns: createTurns() });
const files = () => readdirSync(join(dir, 'cache.db-batches')).map((name) => join(dir, 'cache.db-batches', name));

/** Inbox rows for offsets [from, upTo) of `part`, in one transaction left open as a batch's is until its commit. */
function handled(from: number, upTo: number) {
  store.beginBatch();
  for (let offset = from; offset < upTo; offset++)
    store.recordInbox({ ...part, offset }, offset % 2 ? 'done' : 'skipped', '2026-01-01T00:00:00Z');
}

/** The crashed process: its batch's cache transaction is gone. */
const crash = () => store.rollbackBatch();
const inboxCount = () => Number(store.sql('SELECT count(*) AS n FROM inbox').rows[0].n);

describe('the batch journal', () => {
  it("keeps a batch's own inbox rows only, in a file only the user can read, removed by clear", () => {
    handled(0, 3);
    store.commitBatch();
    const journal = journalOf();
    handled(3, 7);
    const token = journal.keep({ ...part, from: 3, upTo: 7 });
    expect(tokenOf(offsetMetadata(token, undefined))).toBe(token);
    const [file] = files();
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const pending = JSON.parse(readFileSync(file, 'utf8')) as { rows: Array<{ offset: number }>; token: string };
    expect(pending.token).toBe(token);
    expect(pending.rows.map((row) => row.offset)).toEqual([3, 4, 5, 6]);
    expect(journal.pending(part)).toBe(true);
    store.commitBatch();
    journal.clear();
    expect(existsSync(file)).toBe(false);
    expect(journal.pending(part)).toBe(false);
  });

  it.each([
    ['first', (token: string) => ({ offset: 4, metadata: offsetMetadata(token, 'tb-111111111111-1') })],
    [
      'carried on by a member that took the partition over',
      (token: string) => ({ offset: 9, metadata: offsetMetadata('tb-000000000000-9', token) }),
    ],
  ])('keeps a pending batch whose token the committed offset carries (%s)', async (_, committed) => {
    const before = journalOf();
    handled(0, 4);
    const token = before.keep({ ...part, from: 0, upTo: 4 });
    crash();
    expect(inboxCount()).toBe(0);
    const after = journalOf();
    expect(await after.settle(part, committed(token))).toEqual({ topic: part.topic, partition: part.partition, from: 0, upTo: 4, kept: 4 });
    expect(store.inboxRows(part.topic, part.partition, 0, 10).map((row) => [row.offset, row.outcome])).toEqual([
      [0, 'skipped'],
      [1, 'done'],
      [2, 'skipped'],
      [3, 'done'],
    ]);
    expect(after.pending(part)).toBe(false);
  });

  it('drops a pending batch whose token the group never committed, or that another member redid', async () => {
    for (const committed of [
      { offset: -1, metadata: null },
      { offset: 4, metadata: 'tb-222222222222-3' },
      { offset: 2, metadata: undefined },
    ]) {
      const before = journalOf();
      handled(0, 4);
      before.keep({ ...part, from: 0, upTo: 4 });
      crash();
      const after = journalOf();
      expect(after.pending(part)).toBe(true);
      expect(await after.settle(part, committed)).toBeUndefined();
      expect(after.pending(part)).toBe(false);
      expect(inboxCount()).toBe(0);
    }
  });

  it("settles only its own partition's batch, and takes a torn or foreign file for nothing pending", async () => {
    const before = journalOf();
    handled(0, 2);
    const token = before.keep({ ...part, from: 0, upTo: 2 });
    crash();
    const after: BatchJournal = journalOf();
    expect(await after.settle({ ...part, partition: 3 }, { offset: 2, metadata: token })).toBeUndefined();
    expect(await after.settle({ ...part, group: 'other' }, { offset: 2, metadata: token })).toBeUndefined();
    expect(after.pending(part)).toBe(true);
    const [file] = files();
    // The process died while writing it: before the broker's commit, so there is nothing to keep.
    writeFileSync(file, readFileSync(file, 'utf8').slice(0, 40));
    expect(after.pending(part)).toBe(false);
    expect(await after.settle(part, { offset: 2, metadata: token })).toBeUndefined();
    expect(inboxCount()).toBe(0);
  });

  it("leaves a batch the cache rolled back pending: the broker's commit may have taken place, its answer lost", async () => {
    const journal = journalOf();
    const writes = cacheWrites(store, createTurns(), { journal });
    writes.begin();
    for (let offset = 0; offset < 3; offset++) store.recordInbox({ ...part, offset }, 'done', '2026-01-01T00:00:00Z');
    const token = journal.keep({ ...part, from: 0, upTo: 3 });
    writes.rollback();
    // Another batch commits (here one with nothing to commit): the rolled-back one stays pending.
    writes.begin();
    writes.commit();
    expect(journal.pending(part)).toBe(true);
    expect(await journal.settle(part, { offset: 3, metadata: token })).toMatchObject({ from: 0, upTo: 3, kept: 3 });
    expect(inboxCount()).toBe(3);
  });
});
