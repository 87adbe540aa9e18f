import { describe, expect, it } from 'vitest';
import { knowledgeSync } from '../../src/transport/knowledge-sync.js';

/** A cache that has read nothing, and a topic whose partition 0 ends at offset 5 and never delivers a record. */
function stalledSync(endOffsets: (signal: AbortController) => Promise<Map<number, number>>, controller: AbortController) {
  return knowledgeSync({
    topic: 'thoth.investigator.knowledge',
    now: () => 0,
    warn: () => {},
    store: {
      transaction: <T>(fn: () => T) => fn(),
      applyFactRecords: () => ({ applied: 0, unreadable: [], touched: { versions: [], adviceRuns: [] } }),
      changelogPositions: () => [],
      setChangelogPosition: () => {},
      resetChangelog: () => {},
    } as never,
    transport: {
      endOffsets: () => endOffsets(controller),
      follow: () => ({ done: new Promise<void>(() => {}) }),
    },
  });
}

describe('knowledge sync', () => {
  it('a stop that comes while the end offsets are asked for ends catchUp instead of leaving it pending for ever', async () => {
    const controller = new AbortController();
    const sync = stalledSync(async (c) => {
      c.abort(new Error('SIGTERM'));
      return new Map([[0, 5]]);
    }, controller);
    await expect(sync.catchUp(controller.signal)).rejects.toThrow('SIGTERM');
  });

  it('a stop while waiting for records ends catchUp too', async () => {
    const controller = new AbortController();
    const sync = stalledSync(async () => new Map([[0, 5]]), controller);
    const caughtUp = sync.catchUp(controller.signal);
    setTimeout(() => controller.abort(new Error('SIGINT')), 10);
    await expect(caughtUp).rejects.toThrow('SIGINT');
    expect(sync.behind()).toBe(5);
  });
});
