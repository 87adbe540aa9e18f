/**
 * The side journal of a batch whose broker commit comes before the cache's
 * (Kafka: src/transport/batch.ts, src/transport/kafka/exactly-once.ts). What
 * the batch writes to the broker (facts, follow-ups, dead letters) can be read
 * back after a crash between the two commits; its inbox rows live only in the
 * cache, and the broker's commit has already said that the records are
 * handled, so they would never be written again.
 *
 * So before the broker's commit the batch's inbox rows are written to a file
 * of their partition beside the cache (and synced), under a token that goes to
 * the broker with the group's offset (the offset commit's metadata). The
 * cache's commit removes the file: the folder holds what is pending only.
 * When the partition's transactional producer starts again (which completes
 * or aborts whatever transaction the crashed process left), the group's
 * committed metadata says whether that batch's commit took place: the rows
 * are kept when it names the token, dropped otherwise (the batch is read and
 * handled again). A member that takes a partition over carries the token it
 * found in every offset it commits, so a batch committed just before its
 * process died is recognised even after another member has gone on with the
 * partition (unless a third owner came between).
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Turns } from '../core/turns.js';
import type { InboxRow, Store } from '../store/index.js';

/** A partition's batch as the broker is asked to commit it. */
export interface JournalPart {
  group: string;
  topic: string;
  partition: number;
  /** The batch's first offset, and the offset after its last record. */
  from: number;
  upTo: number;
}

/** What the group's committed offset carries (the offset commit's metadata), for `settle`. */
export interface CommittedOffset {
  offset: number;
  metadata: string | null | undefined;
}

export interface BatchJournal {
  /** Before the broker's commit: the batch's inbox rows, written durably; returns the token to commit with its offset. */
  keep(part: JournalPart): string;
  /** After the cache's commit: nothing of the batch is pending. */
  clear(): void;
  /**
   * After the cache's rollback: the batch kept last stays pending (its broker commit may have taken place, its answer
   * lost) until its partition is settled; a later commit's `clear` does not touch it.
   */
  leave(): void;
  /** Whether a run before left a batch of the partition to settle (its producer is then started at once, not at its next record). */
  pending(part: Pick<JournalPart, 'group' | 'topic' | 'partition'>): boolean;
  /**
   * A partition's transactional producer has started (the earlier owner fenced, its transaction completed or aborted):
   * the batch a run before left pending on it is kept in the cache when `committed` carries its token, dropped
   * otherwise. Returns what was kept.
   */
  settle(part: Pick<JournalPart, 'group' | 'topic' | 'partition'>, committed: CommittedOffset): Promise<SettledBatch | undefined>;
}

export interface SettledBatch {
  topic: string;
  partition: number;
  from: number;
  upTo: number;
  /** Inbox rows the cache lacked. */
  kept: number;
}

/** The metadata of an offset commit: the batch's token, then the token the session found committed when it began. */
export function offsetMetadata(token: string, inherited: string | undefined): string {
  return inherited ? `${token} ${inherited}` : token;
}

/** The tokens a committed offset's metadata names (offsetMetadata): the last batch committed first. */
const tokensOf = (metadata: string | null | undefined): string[] => (metadata ?? '').split(' ').filter((token) => TOKEN.test(token));

/** The token a committed offset's metadata names first (the last batch committed), if it is one of ours. */
export function tokenOf(metadata: string | null | undefined): string | undefined {
  const [first] = (metadata ?? '').split(' ');
  return TOKEN.test(first) ? first : undefined;
}

const TOKEN = /^tb-[0-9a-f]{12}-\d+$/;
const FORMAT = 1;

interface Pending extends JournalPart {
  format: number;
  token: string;
  rows: InboxRow[];
}

/** The journal of the cache at `path` (a file: openStore opens no other kind). */
export function batchJournal(options: {
  path: string;
  store: Pick<Store, 'inboxRows' | 'keepInboxRows' | 'transaction'>;
  turns: Turns;
  /** A batch kept by `settle` (to tell the operator). */
  onSettled?: (batch: SettledBatch) => void;
}): BatchJournal {
  const { path, store, turns } = options;
  const dir = `${path}-batches`;
  const instance = randomBytes(6).toString('hex');
  let count = 0;
  /** The file the last kept batch went to, until the cache's commit. */
  let current: string | undefined;

  const fileOf = (part: Pick<JournalPart, 'group' | 'topic' | 'partition'>) =>
    join(dir, `${createHash('sha256').update(`${part.group}\u0000${part.topic}\u0000${part.partition}`).digest('hex').slice(0, 24)}.json`);

  /** Writes the file and syncs it, with its name in the folder. */
  const write = (file: string, text: string) => {
    if (!existsSync(dir)) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      syncDirectory(dirname(dir));
    }
    const fd = openSync(file, 'w', 0o600);
    try {
      writeFileSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    syncDirectory(dir);
  };
  /** Nothing pending for the file's partition any more (a removal undone by a power loss is settled as nothing new). */
  const remove = (file: string) => rmSync(file, { force: true });

  const read = (file: string): Pending | undefined => {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
    if (text.length === 0) return undefined;
    try {
      const pending = JSON.parse(text) as Pending;
      // Torn (the process died writing it, so before the broker's commit) or of another format: nothing to keep.
      return pending.format === FORMAT && Array.isArray(pending.rows) && TOKEN.test(pending.token) ? pending : undefined;
    } catch {
      return undefined;
    }
  };

  return {
    keep: (part) => {
      const token = `tb-${instance}-${++count}`;
      const rows = store.inboxRows(part.topic, part.partition, part.from, part.upTo);
      const file = fileOf(part);
      const pending: Pending = { format: FORMAT, ...part, token, rows };
      write(file, JSON.stringify(pending));
      current = file;
      return token;
    },
    clear: () => {
      if (current === undefined) return;
      remove(current);
      current = undefined;
    },
    leave: () => {
      current = undefined;
    },
    pending: (part) => read(fileOf(part)) !== undefined,
    settle: async (part, committed) => {
      const file = fileOf(part);
      const pending = read(file);
      if (!pending || pending.group !== part.group || pending.topic !== part.topic || pending.partition !== part.partition)
        return undefined;
      const took = tokensOf(committed.metadata).includes(pending.token) && committed.offset >= pending.upTo;
      const kept = took ? await turns.run(() => store.transaction(() => store.keepInboxRows(pending.rows))) : 0;
      remove(file);
      if (current === file) current = undefined;
      if (!took) return undefined;
      const settled = { topic: pending.topic, partition: pending.partition, from: pending.from, upTo: pending.upTo, kept };
      options.onSettled?.(settled);
      return settled;
    },
  };
}

/** Makes a file's creation (its name in the directory) durable. */
function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Not every file system syncs a directory: the file's own sync still holds its content.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
