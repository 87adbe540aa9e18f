/**
 * Commits consumer-group offsets without making each record wait for a round
 * trip: a record's offset is queued once its handler resolved, and one
 * commit at a time carries the newest queued offset of every partition.
 * `flush` waits until everything queued is committed (clean stop), so a
 * restarted group continues right after the last handled record.
 */
import type { Consumer } from 'kafkajs';
import type { Logger } from '../../core/logger.js';

export class OffsetCommitter {
  private readonly pending = new Map<string, { topic: string; partition: number; offset: string }>();
  private inFlight: Promise<void> | undefined;

  constructor(
    private readonly consumer: Pick<Consumer, 'commitOffsets'>,
    private readonly log: Logger,
  ) {}

  /** Queue `next` (the offset after the handled record) for commit. */
  commit(topic: string, partition: number, next: number): void {
    this.pending.set(`${topic}\u0000${partition}`, { topic, partition, offset: String(next) });
    this.inFlight ??= this.drain();
  }

  async flush(): Promise<void> {
    while (this.inFlight) await this.inFlight;
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending.size > 0) {
        const batch = [...this.pending.values()];
        this.pending.clear();
        try {
          await this.consumer.commitOffsets(batch);
        } catch (error) {
          // A rebalance can reject a commit; the records are then delivered again (at least once).
          this.log.warn(
            `could not commit Kafka offsets (${error instanceof Error ? error.message : String(error)}); those records may be read again`,
          );
        }
      }
    } finally {
      this.inFlight = undefined;
    }
  }
}
