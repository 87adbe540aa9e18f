/**
 * Which Kafka release a broker runs. The protocol has no version field, but
 * every release raises the highest version of some API (KIP-35's ApiVersions
 * answers with them), so comparing the answer with the releases' own tables
 * (releases.ts, made from each release's kafka-clients jar by
 * scripts/kafka-releases.mjs) names the release, as `kafka-broker-api-versions`
 * shows the raw numbers.
 *
 * The answer is asked for on a connection of our own: ApiVersions is the one
 * request a broker answers before SASL authentication, so it needs no
 * credentials, only the TLS settings of the listener.
 */
import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import type { KafkaSettings } from '../../config/kafka.js';
import { KAFKA_RELEASES } from './releases.js';

/** API key -> highest version the broker offers. */
export type ApiMaxVersions = ReadonlyMap<number, number>;

type ReleaseRow = (typeof KAFKA_RELEASES)[number];

const API_VERSIONS_KEY = 18;
const CORRELATION_ID = 1;

/** Does the broker offer at least what this release's brokers offer (APIs the broker lacks are unstable ones left off)? */
function offersAll(broker: ApiMaxVersions, row: ReleaseRow): boolean {
  return Object.entries(row.max).every(([key, max]) => {
    const offered = broker.get(Number(key));
    return offered === undefined || offered >= max;
  });
}

function offersMore(broker: ApiMaxVersions, row: ReleaseRow): boolean {
  return [...broker].some(([key, max]) => max > (row.max[key] ?? -1));
}

/** The release a broker's API versions name: "Kafka 4.1", "Kafka 3.3 or 3.4" (no protocol change the broker shows), "Kafka newer than 4.4", "Kafka older than 2.8". */
export function releaseOf(broker: ApiMaxVersions, releases: readonly ReleaseRow[] = KAFKA_RELEASES): string {
  const satisfied = releases.filter((row) => offersAll(broker, row));
  if (satisfied.length === 0) return `Kafka older than ${releases[0].release}`;
  const newest = satisfied[satisfied.length - 1];
  if (newest === releases[releases.length - 1] && offersMore(broker, newest)) return `Kafka newer than ${newest.release}`;
  // Releases that changed nothing the broker offers cannot be told apart.
  const same = satisfied.filter(
    (row) => !offersMore(broker, row) && Object.entries(row.max).every(([k, v]) => newest.max[Number(k)] === v),
  );
  const names = (same.length > 0 ? same : [newest]).map((row) => row.release);
  const base = `Kafka ${names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`}`;
  return offersMore(broker, newest) ? `${base} or a build past it` : base;
}

/** An ApiVersions v0 request: header (key, version, correlation id, client id) and no body. */
export function apiVersionsRequest(clientId: string): Buffer {
  const id = Buffer.from(clientId, 'utf8');
  const frame = Buffer.alloc(4 + 2 + 2 + 4 + 2 + id.length);
  let at = frame.writeInt32BE(frame.length - 4, 0);
  at = frame.writeInt16BE(API_VERSIONS_KEY, at);
  at = frame.writeInt16BE(0, at);
  at = frame.writeInt32BE(CORRELATION_ID, at);
  at = frame.writeInt16BE(id.length, at);
  id.copy(frame, at);
  return frame;
}

/** Reads an ApiVersions v0 response (without its size prefix); an error code or a short frame throws. */
export function parseApiVersions(response: Buffer): Map<number, number> {
  if (response.length < 10) throw new Error('the ApiVersions answer is cut short');
  if (response.readInt32BE(0) !== CORRELATION_ID) throw new Error('the ApiVersions answer is for another request');
  const error = response.readInt16BE(4);
  if (error !== 0) throw new Error(`the broker answered ApiVersions with error code ${error}`);
  const count = response.readInt32BE(6);
  if (count < 0 || response.length < 10 + count * 6) throw new Error('the ApiVersions answer is cut short');
  const max = new Map<number, number>();
  for (let i = 0, at = 10; i < count; i++, at += 6) max.set(response.readInt16BE(at), response.readInt16BE(at + 4));
  return max;
}

/** Asks one of the bootstrap brokers for its API versions (the first that answers within the timeout). */
export async function brokerApiVersions(settings: KafkaSettings, timeoutMs = 5_000): Promise<Map<number, number>> {
  let last: unknown;
  for (const address of settings.brokers) {
    try {
      return await askOne(address, settings, timeoutMs);
    } catch (error) {
      last = error;
    }
  }
  throw last instanceof Error ? last : new Error('no bootstrap broker answered ApiVersions');
}

function askOne(address: string, settings: KafkaSettings, timeoutMs: number): Promise<Map<number, number>> {
  const colon = address.lastIndexOf(':');
  const host = address.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  const port = Number(address.slice(colon + 1));
  return new Promise((resolve, reject) => {
    const tls = settings.ssl;
    const socket: Socket =
      tls === undefined
        ? connectTcp({ host, port })
        : connectTls({ host, port, servername: /^[\d.:]+$/.test(host) ? undefined : host, ...(tls === true ? {} : tls) });
    let received = Buffer.alloc(0);
    const done = (error: Error | undefined, max?: Map<number, number>) => {
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(max!);
    };
    const timer = setTimeout(() => done(new Error(`${address} did not answer ApiVersions within ${timeoutMs / 1000} s`)), timeoutMs);
    socket.once(tls === undefined ? 'connect' : 'secureConnect', () => socket.write(apiVersionsRequest(settings.clientId)));
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 4) return;
      const size = received.readInt32BE(0);
      if (received.length < 4 + size) return;
      try {
        done(undefined, parseApiVersions(received.subarray(4, 4 + size)));
      } catch (error) {
        done(error as Error);
      }
    });
    socket.on('error', (error) => done(error));
    socket.on('close', () => done(new Error(`${address} closed the connection before answering ApiVersions`)));
  });
}
