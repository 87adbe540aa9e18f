// What every benchmark script shares: where the built CLI is, how many
// messages and runs were asked for, and the Kafka broker to measure against.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../dist/bin/thoth.js', import.meta.url));

/** Messages to use: the first argument, else BENCH_N, else the script's default. */
export const benchSize = (fallback) => Number(process.argv[2] ?? process.env.BENCH_N ?? fallback);

/** Runs per figure (the median is reported): BENCH_RUNS, else the script's default. */
export const benchRuns = (fallback) => Number(process.env.BENCH_RUNS ?? fallback);

/** KAFKA_BOOTSTRAP_SERVERS without a kafka:// prefix; '' when unset. */
export const kafkaBootstrap = () => (process.env.KAFKA_BOOTSTRAP_SERVERS ?? '').replace(/^kafka:\/\//, '');

/** The broker, or exit with how to get one: for scripts that measure only against Kafka. */
export function requireKafka() {
  const bootstrap = kafkaBootstrap();
  if (!bootstrap) {
    console.error('set KAFKA_BOOTSTRAP_SERVERS (node scripts/kafka.mjs start prints one)');
    process.exit(1);
  }
  return bootstrap;
}

/** Compression codecs to measure: BENCH_CODECS (comma list), else every one Kafka has. */
export const benchCodecs = () =>
  (process.env.BENCH_CODECS ?? 'none,gzip,snappy,lz4,zstd')
    .split(',')
    .map((c) => c.trim())
    .filter(Boolean);

/** Each message type's line of fixtures/streams/all-types.ndjson, by its topic's last name (`thoth.solver.solved-package`: solved-package). */
export function typeTemplates() {
  const templates = new Map();
  for (const line of readFileSync(new URL('../fixtures/streams/all-types.ndjson', import.meta.url), 'utf8').split('\n'))
    if (line.trim()) templates.set(JSON.parse(line).topic.split('.').at(-1), line);
  return templates;
}
