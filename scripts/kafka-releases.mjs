#!/usr/bin/env node
/**
 * Regenerates src/transport/kafka/releases.ts: for each Kafka minor release,
 * the highest version of each API its brokers offer to clients, read from that
 * release's kafka-clients jar (the broker and the client share the protocol
 * definitions). `thoth doctor` names a broker's release by comparing the
 * ApiVersions answer with this table (Kafka's protocol has no "version" field).
 *
 *   node scripts/kafka-releases.mjs [VERSION...]   (default: the list below)
 *
 * Needs Maven and Java 17; the jars land in .cache/kafka-clients/<version>/.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { maven } from './kafka.mjs';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** The newest patch of each minor release since ListenerType-aware clients (2.8). */
const RELEASES = [
  '2.8.2',
  '3.0.2',
  '3.1.2',
  '3.2.3',
  '3.3.2',
  '3.4.1',
  '3.5.2',
  '3.6.2',
  '3.7.2',
  '3.8.1',
  '3.9.1',
  '4.0.1',
  '4.1.1',
  '4.2.0',
  '4.3.1',
  '4.4.0',
];

function jarOf(version) {
  const dir = join(REPO, '.cache', 'kafka-clients', version);
  const jar = join(dir, `kafka-clients-${version}.jar`);
  if (existsSync(jar)) return jar;
  mkdirSync(dir, { recursive: true });
  maven(['dependency:copy', `-Dartifact=org.apache.kafka:kafka-clients:${version}`, `-DoutputDirectory=${dir}`], { cwd: dir });
  if (!existsSync(jar)) throw new Error(`mvn did not fetch kafka-clients ${version} into ${dir}`);
  return jar;
}

function apiVersionsOf(version) {
  const java = spawnSync('java', ['-cp', jarOf(version), join(REPO, 'scripts', 'kafka-releases', 'ApiVersionsOf.java')], {
    encoding: 'utf8',
  });
  if (java.status !== 0) throw new Error(`kafka-clients ${version}: ${java.stderr}`);
  const max = {};
  for (const line of java.stdout.trim().split('\n')) {
    const [key, highest] = line.split(' ').map(Number);
    max[key] = highest;
  }
  return max;
}

const versions = process.argv.length > 2 ? process.argv.slice(2) : RELEASES;
const releases = versions.map((version) => {
  process.stderr.write(`kafka-releases: ${version}\n`);
  return { release: version.split('.').slice(0, 2).join('.'), max: apiVersionsOf(version) };
});
const out = join(REPO, 'src', 'transport', 'kafka', 'releases.ts');
const rows = releases.map(
  ({ release, max }) =>
    `  { release: '${release}', max: ${JSON.stringify(max)
      .replace(/"(\d+)"/g, '$1')
      .replace(/,/g, ', ')
      .replace(/:/g, ': ')} },`,
);
writeFileSync(
  out,
  `/** Made by scripts/kafka-releases.mjs: per Kafka minor release, API key -> the highest version its brokers offer. */\n` +
    `// prettier-ignore\nexport const KAFKA_RELEASES: ReadonlyArray<{ release: string; max: Readonly<Record<number, number>> }> = [\n${rows.join('\n')}\n];\n`,
);
process.stderr.write(`kafka-releases: wrote ${out}\n`);
