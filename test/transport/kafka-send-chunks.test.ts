import { describe, expect, it } from 'vitest';
import { sendChunks } from '../../src/transport/kafka/client.js';

describe('produce requests of a send', () => {
  it('hold at most 5,000 records and half a MiB of keys, values and headers, in order, one record at least', () => {
    const small = Array.from({ length: 12_000 }, () => ({ key: 'k', value: '{}' }));
    expect(sendChunks(small)).toEqual([
      [0, 5_000],
      [5_000, 10_000],
      [10_000, 12_000],
    ]);
    // 1,000 bytes of UTF-8 in 500 characters each: counted in bytes, a request holds fewer than 524 of them.
    const kib = Array.from({ length: 1_200 }, () => ({ key: null, value: 'é'.repeat(500), headers: { h: 'v' } }));
    const chunks = sendChunks(kib);
    expect(chunks.length).toBe(3);
    expect(chunks.map(([start]) => start)).toEqual([0, chunks[0][1], chunks[1][1]]);
    expect(chunks.at(-1)![1]).toBe(1_200);
    for (const [start, end] of chunks) expect((end - start) * 1_000).toBeLessThanOrEqual(512 * 1024);
    expect((chunks[0][1] + 1) * 1_000).toBeGreaterThan(0.9 * 512 * 1024);
    const huge = [
      { key: null, value: 'x'.repeat(2 * 1024 * 1024) },
      { key: null, value: '{}' },
    ];
    expect(sendChunks(huge)).toEqual([
      [0, 1],
      [1, 2],
    ]);
    expect(sendChunks([])).toEqual([]);
  });
});
