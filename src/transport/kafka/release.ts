/**
 * Which Kafka release a broker runs. The protocol has no version field, but
 * every release raises the highest version of some API (KIP-35's ApiVersions
 * answers with them), so comparing the answer with the releases' own tables
 * (releases.ts, made from each release's kafka-clients jar by
 * scripts/kafka-releases.mjs) names the release, as `kafka-broker-api-versions`
 * shows the raw numbers.
 *
 * The answer is asked for on a connection of our own (wire-connection.ts, as
 * the doctor's broker clock): ApiVersions is the one request a broker answers
 * before SASL authentication, so it needs no credentials, only the TLS
 * settings of the listener.
 */
import type { KafkaSettings } from '../../config/kafka.js';
import { KAFKA_RELEASES } from './releases.js';
import { parseApiVersionRanges } from './wire.js';
import { WireConnection } from './wire-connection.js';

/** API key -> highest version the broker offers. */
export type ApiMaxVersions = ReadonlyMap<number, number>;

type ReleaseRow = (typeof KAFKA_RELEASES)[number];

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

/** ApiVersions v0 on a connection of its own, within `timeoutMs` in all: API key -> highest version. */
async function askOne(address: string, settings: KafkaSettings, timeoutMs: number): Promise<Map<number, number>> {
  const endsAt = Date.now() + timeoutMs;
  const connection = await WireConnection.open(address, settings, timeoutMs);
  try {
    const ranges = parseApiVersionRanges(await connection.request('apiVersions', Buffer.alloc(0), endsAt - Date.now()));
    return new Map([...ranges].map(([key, [, max]]) => [key, max]));
  } finally {
    connection.close();
  }
}
