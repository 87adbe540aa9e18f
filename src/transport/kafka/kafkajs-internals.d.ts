/**
 * kafkajs' consumer batch (src/transport/kafka/assigned.ts): what one Fetch answered for one
 * partition, with the records before the fetched offset, the control records and the records of
 * aborted transactions left out, as kafkajs' own consumer hands them on. kafkajs ships no types for it.
 */
declare module 'kafkajs/src/consumer/batch.js' {
  import type { KafkaMessage } from 'kafkajs';
  export default class Batch {
    constructor(
      topic: string,
      fetchedOffset: string,
      partitionData: { partition: number; highWatermark: string; messages: KafkaMessage[]; abortedTransactions: unknown[] },
    );
    readonly topic: string;
    readonly partition: number;
    readonly highWatermark: string;
    /** The records to hand on. */
    readonly messages: KafkaMessage[];
    /** Every record at or after the fetched offset, control records and aborted ones included. */
    readonly messagesWithinOffset: KafkaMessage[];
    /** Every record the fetch returned for the partition, those before the fetched offset too. */
    readonly rawMessages: KafkaMessage[];
    readonly fetchedOffset: string;
  }
}
