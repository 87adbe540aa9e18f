/**
 * Every Kafka compression codec, both ways, against a broker of this file's
 * own (so that its log segments can be read with Kafka's DumpLogSegments,
 * which names the codec of every batch), with kcat and upstream's Kafka
 * client, confluent-kafka (librdkafka), as peers:
 *
 * - kcat -z CODEC writes, thoth tail and thoth investigate read;
 * - thoth -z CODEC publish writes, kcat and confluent-kafka read (and upstream's model parses);
 * - a topic whose compression.type is CODEC (thoth topics create with upstream's
 *   KAFKA_TOPIC_PRODUCER_COMPRESSION_TYPE) takes plain batches and serves them compressed.
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchKafka, startKafka, stopKafka } from '../../scripts/kafka.mjs';
import { cleanEnv, runThoth } from '../support/cli.js';
import { RECORD_INVESTIGATE } from '../investigate/investigator-process.js';

const CODECS = ['gzip', 'snappy', 'lz4', 'zstd'] as const;
const INDEX = 'https://index.example/simple';
const PYTHON = fileURLToPath(new URL('../../.cache/pyenv/bin/python', import.meta.url));

interface Broker {
  bootstrap: string;
  dir: string;
}

let broker: Broker | undefined;
let work: string;
beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'thoth-codecs-'));
  broker = await startKafka(process.env, { stopWithProcess: true });
}, 120_000);
afterAll(async () => {
  if (broker) await stopKafka(broker);
  rmSync(work, { recursive: true, force: true });
}, 60_000);

/** Bodies as upstream writes them, with what JavaScript would change: a big int, 1.0, integer-like keys. */
function body(codec: string, i: number): string {
  return (
    `{"component_name": "solver-${codec} \\ud83d\\ude00", "service_version": "1.0", "version": "v1", ` +
    `"package_name": "flask", "package_version": "2.0.${i}", "index_url": "${INDEX}", "solver": "solver-rhel-8-py38"}`
  );
}

function run(command: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(command, args, { timeout: 60_000, maxBuffer: 16 << 20 }, (error, stdout, stderr) =>
      error ? reject(new Error(`${command} ${args.join(' ')}: ${error.message}\n${stderr}`)) : resolve(stdout),
    );
    child.stdin?.end(input ?? '');
  });
}

const kcatProduce = (topic: string, codec: string, values: string[]) =>
  run('kcat', ['-b', broker!.bootstrap, '-P', '-t', topic, '-z', codec, '-k', 'flask', '-D', '\n'], `${values.join('\n')}\n`);

const kcatValues = async (topic: string) =>
  (await run('kcat', ['-b', broker!.bootstrap, '-C', '-t', topic, '-e', '-q', '-o', 'beginning', '-f', '%s\n']))
    .split('\n')
    .filter(Boolean);

/** The codecs of the batches in a topic's log (each named once), as Kafka's own DumpLogSegments reads them. */
function codecsOnDisk(topic: string): string[] {
  const dir = join(broker!.dir, 'data', `${topic}-0`);
  const segments = readdirSync(dir)
    .filter((f) => f.endsWith('.log'))
    .map((f) => join(dir, f));
  const dump = spawnSync('java', ['-cp', join(fetchKafka(process.env), '*'), 'kafka.tools.DumpLogSegments', '--files', ...segments], {
    encoding: 'utf8',
  });
  if (dump.status !== 0) throw new Error(`DumpLogSegments failed: ${dump.stderr}`);
  return [...new Set([...dump.stdout.matchAll(/compresscodec: (\w+)/g)].map((m) => m[1]))];
}

/** Reads a topic with confluent-kafka (upstream's client) and parses each value with upstream's model. */
async function confluentValues(topic: string): Promise<Array<{ value: string; upstream: string }>> {
  if (!existsSync(PYTHON)) throw new Error(`No Python venv at ${PYTHON}: run scripts/upstream-compat/setup.sh first`);
  const script = `
import json, sys, uuid
from confluent_kafka import Consumer, KafkaError
from thoth.messaging import solved_package_message
c = Consumer({"bootstrap.servers": sys.argv[1], "group.id": "py-" + uuid.uuid4().hex, "auto.offset.reset": "earliest", "enable.partition.eof": True})
c.subscribe([sys.argv[2]])
out = []
while True:
    m = c.poll(20)
    if m is None:
        sys.exit("confluent-kafka: no message within 20 s")
    if m.error():
        if m.error().code() == KafkaError._PARTITION_EOF:
            break
        sys.exit(str(m.error()))
    v = m.value().decode("utf-8")
    out.append({"value": v, "upstream": solved_package_message.model.parse_raw(v).json()})
c.close()
print(json.dumps(out))
`;
  return JSON.parse(await run(PYTHON, ['-c', script, broker!.bootstrap, topic])) as Array<{ value: string; upstream: string }>;
}

function thoth(deployment: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  return runThoth(['--db', join(work, `${deployment}.db`), '--deployment-name', deployment, ...args], {
    env: cleanEnv({ KAFKA_BOOTSTRAP_SERVERS: broker!.bootstrap, THOTH_INDEX_URLS: INDEX, THOTH_SOLVERS: 'solver-rhel-8-py38', ...env }),
  });
}

describe.each(CODECS)('%s', (codec) => {
  it('kcat -z writes it; thoth tail and thoth investigate read every message', { timeout: 120_000 }, async () => {
    const deployment = `kz${codec}`;
    const topic = `${deployment}.thoth.solver.solved-package`;
    const values = [0, 1, 2].map((i) => body(codec, i));
    await kcatProduce(topic, codec, values);
    expect(codecsOnDisk(topic)).toEqual([codec]);

    const tailed = await thoth(deployment, ['tail', 'solved-package', '--exit-at-end', '-o', 'ndjson']);
    expect(tailed.code, tailed.stderr).toBe(0);
    const lines = tailed.stdout.trim().split('\n');
    // The §7 line carries each value byte for byte.
    expect(lines.map((l) => /"value":(\{.*\}),"timestamp"/.exec(l)?.[1])).toEqual(values);
    expect(tailed.stderr).not.toContain('invalid');

    const investigated = await thoth(deployment, [...RECORD_INVESTIGATE, '--until-idle', '2', '--mode', 'middletier']);
    expect(investigated.code, investigated.stderr).toBe(0);
    const events = investigated.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { event: string; topic?: string });
    expect(events.filter((e) => e.event === 'processed' && e.topic === topic)).toHaveLength(3);
    expect(events.filter((e) => e.event === 'dead-letter')).toEqual([]);
  });

  it('thoth -z writes it; kcat and confluent-kafka read the exact bodies, and upstream parses them', { timeout: 120_000 }, async () => {
    const deployment = `tz${codec}`;
    const topic = `${deployment}.thoth.solver.solved-package`;
    const file = join(work, `${codec}.ndjson`);
    writeFileSync(
      file,
      [0, 1, 2].map((i) => JSON.stringify({ package_name: 'flask', package_version: `2.0.${i}`, solver: 'solver-rhel-8-py38' })).join('\n'),
    );
    const published = await thoth(deployment, ['-z', codec, 'publish', 'solved-package', '--file', file, '-o', 'ndjson']);
    expect(published.code, published.stderr).toBe(0);
    expect(codecsOnDisk(topic)).toEqual([codec]);

    const kcat = await kcatValues(topic);
    expect(kcat).toHaveLength(3);
    expect(kcat.map((v) => (JSON.parse(v) as { package_version: string }).package_version)).toEqual(['2.0.0', '2.0.1', '2.0.2']);
    const python = await confluentValues(topic);
    expect(python.map((p) => p.value)).toEqual(kcat);
    // Upstream's model writes back exactly what thoth wrote.
    expect(python.map((p) => p.upstream)).toEqual(kcat);
  });

  it(
    "a topic whose compression.type is it (upstream's topic creation) serves what thoth sends plain, compressed",
    { timeout: 120_000 },
    async () => {
      const deployment = `cz${codec}`;
      const topic = `${deployment}.thoth.solver.solved-package`;
      const created = await thoth(deployment, ['topics', 'create', '-o', 'json'], { KAFKA_TOPIC_PRODUCER_COMPRESSION_TYPE: codec });
      expect(created.code, created.stderr).toBe(0);
      const published = await thoth(deployment, [
        'publish',
        'solved-package',
        'flask==2.0.0',
        '--solver',
        'solver-rhel-8-py38',
        '-o',
        'json',
      ]);
      expect(published.code, published.stderr).toBe(0);
      expect(codecsOnDisk(topic)).toEqual([codec]);
      const tailed = await thoth(deployment, ['tail', 'solved-package', '--exit-at-end', '-o', 'ndjson']);
      expect(tailed.stdout).toContain('"package_version": "2.0.0"');
      expect(await kcatValues(topic)).toHaveLength(1);
    },
  );
});
