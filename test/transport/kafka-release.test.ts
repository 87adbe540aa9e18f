/**
 * Naming a broker's Kafka release from its ApiVersions answer (doctor's
 * broker line): the answer's bytes as a broker sends them, and the table of
 * releases made from each release's kafka-clients jar; and the doctor's broker
 * clock, which needs Kafka 3.0, on a broker whose answer is a 2.8's.
 */
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { apiVersionsRequest, brokerApiVersions, parseApiVersions, releaseOf } from '../../src/transport/kafka/release.js';
import { KAFKA_RELEASES } from '../../src/transport/kafka/releases.js';
import { brokerClock } from '../../src/transport/kafka/broker-clock.js';
import { readKafkaSettings } from '../../src/config/kafka.js';

const asBroker = (max: Readonly<Record<number, number>>) => new Map(Object.entries(max).map(([k, v]) => [Number(k), v]));
const release = (name: string) => KAFKA_RELEASES.find((r) => r.release === name)!.max;

/** An ApiVersions v0 answer (without the size prefix). */
function answer(entries: Array<[number, number, number]>, error = 0, correlation = 1): Buffer {
  const out = Buffer.alloc(10 + entries.length * 6);
  out.writeInt32BE(correlation, 0);
  out.writeInt16BE(error, 4);
  out.writeInt32BE(entries.length, 6);
  entries.forEach(([key, min, max], i) => {
    out.writeInt16BE(key, 10 + i * 6);
    out.writeInt16BE(min, 12 + i * 6);
    out.writeInt16BE(max, 14 + i * 6);
  });
  return out;
}

describe('the release a broker runs, from its API versions', () => {
  it('names each release in the table from exactly what its brokers offer', () => {
    for (const { release: name, max } of KAFKA_RELEASES) expect(releaseOf(asBroker(max))).toBe(`Kafka ${name}`);
  });

  it('ignores APIs a broker leaves off (unstable ones, ZooKeeper-only ones)', () => {
    const kraft41 = asBroker(release('4.1'));
    for (const key of [88, 89, 90, 91, 92]) kraft41.delete(key);
    expect(releaseOf(kraft41)).toBe('Kafka 4.1');
  });

  it('says when a broker offers more than the newest release known, or less than the oldest', () => {
    const newest = KAFKA_RELEASES[KAFKA_RELEASES.length - 1];
    expect(releaseOf(new Map([...asBroker(newest.max), [0, newest.max[0] + 1]]))).toBe(`Kafka newer than ${newest.release}`);
    expect(
      releaseOf(
        new Map([
          [0, 2],
          [1, 4],
        ]),
      ),
    ).toBe(`Kafka older than ${KAFKA_RELEASES[0].release}`);
  });

  it('says a build past a release when it offers more of one API but not all of the next release', () => {
    const between = asBroker(release('4.0'));
    between.set(0, release('4.1')[0]);
    expect(releaseOf(between)).toBe('Kafka 4.0 or a build past it');
  });

  it('names every release that a broker cannot be told apart from', () => {
    const rows = [
      { release: '1.0', max: { 0: 1 } },
      { release: '1.1', max: { 0: 2 } },
      { release: '1.2', max: { 0: 2 } },
    ];
    expect(releaseOf(new Map([[0, 2]]), rows)).toBe('Kafka 1.1 or 1.2');
  });

  it('reads an ApiVersions v0 answer and refuses a broken one', () => {
    expect(
      parseApiVersions(
        answer([
          [0, 3, 13],
          [1, 4, 18],
        ]),
      ),
    ).toEqual(
      new Map([
        [0, 13],
        [1, 18],
      ]),
    );
    expect(() => parseApiVersions(answer([], 35))).toThrow('error code 35');
    expect(() => parseApiVersions(answer([[0, 3, 13]]).subarray(0, 12))).toThrow('cut short');
    expect(() => parseApiVersions(answer([], 0, 9))).toThrow('another request');
  });

  it('writes the request a broker expects: ApiVersions v0 with the client id', () => {
    const request = apiVersionsRequest('thoth');
    expect(request.readInt32BE(0)).toBe(request.length - 4);
    expect([request.readInt16BE(4), request.readInt16BE(6), request.readInt32BE(8)]).toEqual([18, 0, 1]);
    expect(request.subarray(14).toString()).toBe('thoth');
  });
});

describe('asking a broker on the wire', () => {
  let server: Server | undefined;
  afterEach(() => server?.close());

  const listen = (reply: (request: Buffer) => Buffer | undefined) =>
    new Promise<number>((resolve) => {
      server = createServer((socket) =>
        socket.once('data', (request) => {
          const body = reply(request);
          if (!body) return socket.destroy();
          const size = Buffer.alloc(4);
          size.writeInt32BE(body.length);
          // In two pieces, as TCP may deliver it.
          socket.write(Buffer.concat([size, body.subarray(0, 3)]));
          setTimeout(() => socket.write(body.subarray(3)), 10);
        }),
      ).listen(0, '127.0.0.1', () => resolve((server!.address() as { port: number }).port));
    });

  it('asks the first bootstrap broker that answers', async () => {
    const port = await listen(() =>
      answer([
        [0, 3, 13],
        [18, 0, 4],
      ]),
    );
    const settings = readKafkaSettings([`127.0.0.1:${port}`], {});
    expect(await brokerApiVersions(settings)).toEqual(
      new Map([
        [0, 13],
        [18, 4],
      ]),
    );
  });

  it("the doctor's broker clock on a broker before Kafka 3.0 (no DescribeTransactions): a neutral reading that says why", async () => {
    const port = await listen(() => answer(Object.entries(release('2.8')).map(([key, max]) => [Number(key), 0, max])));
    const settings = readKafkaSettings([`127.0.0.1:${port}`], {});
    expect(await brokerClock(settings, { group: 'g', now: Date.now })).toEqual({
      unavailable: 'the broker cannot describe a transaction (DescribeTransactions needs Kafka 3.0 or later)',
    });
  });

  it('names the address when the broker hangs up without answering', async () => {
    const port = await listen(() => undefined);
    await expect(brokerApiVersions(readKafkaSettings([`127.0.0.1:${port}`], {}))).rejects.toThrow(
      `127.0.0.1:${port} closed the connection before answering ApiVersions`,
    );
  });
});
