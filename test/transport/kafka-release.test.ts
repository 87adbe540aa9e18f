/**
 * Naming a broker's Kafka release from its ApiVersions answer (doctor's
 * broker line): the table of releases made from each release's kafka-clients
 * jar, the question asked of a broker that answers with the bytes a broker
 * sends (or breaks off, or says nothing), and the doctor's broker clock, which
 * needs Kafka 3.0, on a broker whose answer is a 2.8's.
 */
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { brokerApiVersions, releaseOf } from '../../src/transport/kafka/release.js';
import { KAFKA_RELEASES } from '../../src/transport/kafka/releases.js';
import { brokerClock } from '../../src/transport/kafka/broker-clock.js';
import { readKafkaSettings } from '../../src/config/kafka.js';

const asBroker = (max: Readonly<Record<number, number>>) => new Map(Object.entries(max).map(([k, v]) => [Number(k), v]));
const release = (name: string) => KAFKA_RELEASES.find((r) => r.release === name)!.max;

/** An ApiVersions v0 answer (without the size prefix) to the request with this correlation id. */
function answer(entries: Array<[number, number, number]>, correlation: number, error = 0): Buffer {
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
});

describe('asking a broker on the wire', () => {
  let servers: Server[] = [];
  afterEach(() => {
    for (const server of servers) server.close();
    servers = [];
  });

  /** What a broker was asked: API key, version and client id of each request. */
  interface Asked {
    apiKey: number;
    version: number;
    clientId: string;
  }

  /** A broker that answers each request with `reply`'s body (in two pieces, as TCP may deliver it), hangs up on undefined, or stays silent on 'silent'. */
  const listen = (reply: (correlation: number) => Buffer | undefined | 'silent', asked: Asked[] = []) =>
    new Promise<number>((resolve) => {
      const server = createServer((socket) =>
        socket.once('data', (request) => {
          const correlation = request.readInt32BE(8);
          const idLength = request.readInt16BE(12);
          asked.push({
            apiKey: request.readInt16BE(4),
            version: request.readInt16BE(6),
            clientId: request.toString('utf8', 14, 14 + idLength),
          });
          const body = reply(correlation);
          if (body === 'silent') return;
          if (!body) return socket.destroy();
          const size = Buffer.alloc(4);
          size.writeInt32BE(body.length);
          socket.write(Buffer.concat([size, body.subarray(0, 3)]));
          setTimeout(() => socket.write(body.subarray(3)), 10);
        }),
      );
      servers.push(server);
      server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
    });

  /** A port nothing listens on. */
  const closedPort = async () => {
    const port = await listen(() => undefined);
    servers.pop()!.close();
    return port;
  };

  it('asks the first bootstrap broker that answers, ApiVersions v0 with the client id, and reads the highest versions', async () => {
    const asked: Asked[] = [];
    const port = await listen(
      (correlation) =>
        answer(
          [
            [0, 3, 13],
            [18, 0, 4],
          ],
          correlation,
        ),
      asked,
    );
    const settings = readKafkaSettings([`127.0.0.1:${await closedPort()}`, `127.0.0.1:${port}`], { KAFKA_CLIENT_ID: 'thoth-test' });
    expect(await brokerApiVersions(settings)).toEqual(
      new Map([
        [0, 13],
        [18, 4],
      ]),
    );
    expect(asked).toEqual([{ apiKey: 18, version: 0, clientId: 'thoth-test' }]);
  });

  it('refuses an answer with an error code, naming it, and one cut short', async () => {
    const refusing = await listen((correlation) => answer([], correlation, 35));
    await expect(brokerApiVersions(readKafkaSettings([`127.0.0.1:${refusing}`], {}))).rejects.toThrow(
      'the broker answered ApiVersions with UNSUPPORTED_VERSION (35)',
    );
    const short = await listen((correlation) => answer([[0, 3, 13]], correlation).subarray(0, 12));
    await expect(brokerApiVersions(readKafkaSettings([`127.0.0.1:${short}`], {}))).rejects.toThrow('the ApiVersions answer is cut short');
  });

  it("the doctor's broker clock on a broker before Kafka 3.0 (no DescribeTransactions): a neutral reading that says why", async () => {
    const port = await listen((correlation) =>
      answer(
        Object.entries(release('2.8')).map(([key, max]) => [Number(key), 0, max]),
        correlation,
      ),
    );
    const settings = readKafkaSettings([`127.0.0.1:${port}`], {});
    expect(await brokerClock(settings, { group: 'g', now: Date.now })).toEqual({
      unavailable: 'the broker cannot describe a transaction (DescribeTransactions needs Kafka 3.0 or later)',
    });
  });

  it('names the address when the broker hangs up without answering, or says nothing within the time', async () => {
    const port = await listen(() => undefined);
    await expect(brokerApiVersions(readKafkaSettings([`127.0.0.1:${port}`], {}))).rejects.toThrow(
      `127.0.0.1:${port} closed the connection before answering ApiVersions`,
    );
    const silent = await listen(() => 'silent');
    await expect(brokerApiVersions(readKafkaSettings([`127.0.0.1:${silent}`], {}), 300)).rejects.toThrow(
      `127.0.0.1:${silent} did not answer ApiVersions within`,
    );
  });
});
