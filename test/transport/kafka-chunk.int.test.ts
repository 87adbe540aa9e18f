/**
 * The kafkajs of the build (dist/bin/chunks/kafka.js, scripts/bundle.mjs) reads and writes records
 * of its own: a lean record-batch decoder and encoder in place of kafkajs' per-record ones. Records
 * of every shape it writes must be the bytes kafkajs writes, and the records it reads from a batch
 * the objects kafkajs reads: each is checked against kafkajs as installed, both ways, plain and gzip.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { kafkaBootstrap, uniqueTopic } from '../support/kafka.js';

const CHUNK = join(import.meta.dirname, '..', '..', 'dist', 'bin', 'chunks', 'kafka.js');

type Kafkajs = typeof kafkajs;
type Message = {
  key?: Buffer | string | null;
  value: Buffer | string | null;
  headers?: Record<string, string | string[]>;
  timestamp?: string;
};

const BASE = 1_638_007_200_000;

/** Records of every shape: null, binary and multibyte keys; null, empty, binary and long values; headers, repeated ones; timestamps out of order, of 12 digits, none. */
function messages(count: number): Message[] {
  const out: Message[] = [];
  for (let i = 0; i < count; i++) {
    const message: Message = {
      key: i % 7 === 0 ? null : i % 11 === 0 ? Buffer.from([0xff, i & 0xff]) : `key-${i}-é`,
      value:
        i % 13 === 0
          ? null
          : i % 17 === 0
            ? ''
            : i % 5 === 0
              ? Buffer.from([0xfe, 0, i & 0xff])
              : `{"n":${i},"s":"ünï 😀"}`.repeat(1 + (i % 40)),
      timestamp: String(BASE + ((i * 7919) % 100_000) - 50_000),
    };
    if (i % 19 === 0) message.headers = { h: `x${i}`, twice: ['1', '2'], ü: 'é' };
    if (i === 5) message.timestamp = '999999999999';
    out.push(message);
  }
  return out;
}

async function produce(client: Kafkajs, topic: string, compression: number, sent: Message[]): Promise<void> {
  const producer = new client.Kafka({ brokers: [kafkaBootstrap()], logLevel: client.logLevel.NOTHING }).producer({
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  try {
    for (let at = 0; at < sent.length; at += 400) await producer.send({ topic, compression, messages: sent.slice(at, at + 400) });
  } finally {
    await producer.disconnect();
  }
}

/** What a reader sees of each record, in offset order. */
async function consume(client: Kafkajs, topic: string, count: number): Promise<unknown[]> {
  const kafka = new client.Kafka({ brokers: [kafkaBootstrap()], logLevel: client.logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `chunk-${topic}-${Math.random().toString(36).slice(2)}` });
  const seen: unknown[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachBatch: async ({ batch }) => {
            for (const m of batch.messages) {
              seen.push({
                offset: m.offset,
                timestamp: m.timestamp,
                key: m.key === null ? null : m.key.toString('hex'),
                value: m.value === null ? null : m.value.toString('hex'),
                headers: Object.fromEntries(
                  Object.entries(m.headers ?? {}).map(([name, v]) => [name, [v ?? []].flat().map((x) => String(x?.toString('hex')))]),
                ),
              });
            }
            if (seen.length >= count) resolve();
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

describe('the kafkajs of the build', () => {
  const chunk = (createRequire(import.meta.url)(CHUNK) as { kafkajs: Kafkajs }).kafkajs;

  for (const [codec, compression] of [
    ['none', kafkajs.CompressionTypes.None],
    ['gzip', kafkajs.CompressionTypes.GZIP],
  ] as const) {
    it(`writes and reads records of every shape as kafkajs does (${codec})`, { timeout: 120_000 }, async () => {
      const sent = messages(1_200);
      const [byChunk, byKafkajs] = [uniqueTopic('chunk-w'), uniqueTopic('kafkajs-w')];
      await produce(chunk, byChunk, compression, sent);
      await produce(kafkajs, byKafkajs, compression, sent);
      const reference = await consume(kafkajs, byKafkajs, sent.length);
      expect(reference).toHaveLength(sent.length);
      // Written by the chunk, read by kafkajs: the same records as kafkajs wrote.
      expect(await consume(kafkajs, byChunk, sent.length)).toEqual(reference);
      // Read by the chunk: the same records as kafkajs reads.
      expect(await consume(chunk, byKafkajs, sent.length)).toEqual(reference);
    });
  }
});
