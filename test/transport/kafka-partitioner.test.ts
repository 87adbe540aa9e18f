/**
 * The build's kafkajs (dist/bin/chunks/kafka.js) hashes keys in 32-bit arithmetic (scripts/bundle.mjs):
 * every key must go to the partition kafkajs as installed (and so the Java client) sends it to.
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';

const CHUNK = join(import.meta.dirname, '..', '..', 'dist', 'bin', 'chunks', 'kafka.js');

const metadata = (count: number) =>
  Array.from({ length: count }, (_, partitionId) => ({ partitionId, leader: 0, replicas: [0], isr: [0], partitionErrorCode: 0 }));

describe("the build's kafkajs chooses partitions as kafkajs does", () => {
  it('for keys of every length and byte (text, multibyte, binary, empty) and any partition count', () => {
    const built = (createRequire(import.meta.url)(CHUNK) as { kafkajs: typeof kafkajs }).kafkajs.Partitioners.DefaultPartitioner();
    const installed = kafkajs.Partitioners.DefaultPartitioner();
    const keys: Array<string | Buffer> = [
      '',
      'a',
      'ab',
      'abc',
      'abcd',
      '["solved","https://index.example/simple","requests","2.25.1","solver-rhel-8-py38"]',
      'ünï 😀',
    ];
    for (let length = 0; length < 300; length++) keys.push(randomBytes(length), randomBytes(length).toString('base64'));
    keys.push(Buffer.alloc(64, 0xff), Buffer.alloc(64, 0x80));
    let differing = 0;
    for (const key of keys)
      for (const count of [2, 3, 6, 7, 12, 100]) {
        const message = { key, value: null };
        const ours = built({ topic: 't', partitionMetadata: metadata(count), message });
        if (ours !== installed({ topic: 't', partitionMetadata: metadata(count), message })) differing++;
      }
    expect(differing).toBe(0);
    // Kafka's own murmur2 test vectors (the Java client's Utils.murmur2), pinned through two prime partition counts.
    const java: Array<[string, number]> = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const count of [65521, 65519]) {
      const partitions = metadata(count);
      for (const [key, hash] of java)
        expect(built({ topic: 't', partitionMetadata: partitions, message: { key, value: null } })).toBe((hash & 0x7fffffff) % count);
    }
  });
});
