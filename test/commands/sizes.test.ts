/**
 * Sizes: the embedded broker refuses a record larger than Kafka's default
 * message.max.bytes (configurable), and the cache keeps only a bounded
 * prefix of a large dead letter's value, with its size and hash.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEAD_LETTER_VALUE_CHARS } from '../../src/messages/dead-letter-copy.js';
import { cleanEnv, runThoth } from '../support/cli.js';

const INDEX = 'https://index.example/simple';
let dir: string;
const env = (extra: NodeJS.ProcessEnv = {}) => cleanEnv({ THOTH_INDEX_URLS: INDEX, KUBECONFIG: join(dir, 'no-kubeconfig'), ...extra });

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'thoth-sizes-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function line(value: unknown): string {
  return JSON.stringify({
    topic: 'thoth.investigator.unresolved-package',
    key: null,
    headers: {},
    value,
    timestamp: '2021-11-27T10:00:00.000Z',
  });
}

const big = (bytes: number) => ({
  component_name: 'adviser',
  service_version: '0.1.0',
  version: 'v1',
  package_name: 'requests',
  index_url: INDEX,
  package_version: '1.0',
  solver: null,
  padding: 'x'.repeat(bytes),
});

describe('the embedded broker', () => {
  it('refuses a record over 1 MiB (nothing written), and takes it when KAFKA_MESSAGE_MAX_BYTES allows', async () => {
    const db = join(dir, 'broker.db');
    const file = join(dir, 'big.ndjson');
    writeFileSync(file, `${line(big(1_100_000))}\n`);
    const refused = await runThoth(['--db', db, 'replay', file], { env: env() });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/bytes, more than the embedded broker's limit of 1048576 \(KAFKA_MESSAGE_MAX_BYTES\)/);
    expect(refused.stderr).not.toContain('This is a bug');
    const tail = await runThoth(['--db', db, 'tail', 'unresolved-package', '--exit-at-end', '-o', 'ndjson'], { env: env() });
    expect(tail.stdout).toBe('');

    const allowed = await runThoth(['--db', db, 'replay', file], { env: env({ KAFKA_MESSAGE_MAX_BYTES: '2000000' }) });
    expect(allowed.code).toBe(0);
  });
});

describe('dead letters in the cache', () => {
  it('keep a bounded prefix of a large value, with its size and SHA-256', async () => {
    const db = join(dir, 'dead.db');
    const file = join(dir, 'dead.ndjson');
    // Invalid (no package_name) and large: dead-lettered as it is.
    const { package_name: _omitted, ...value } = big(300_000);
    const text = JSON.stringify({ ...value, db_password: 'PW-early-1234' });
    writeFileSync(file, `${line(JSON.parse(text))}\n`);
    const run = await runThoth(['--db', db, 'investigate', '--from', file, '--allow-dead-letters', '-o', 'ndjson', '--port', 'none'], {
      env: env(),
    });
    expect(run.code).toBe(0);
    const query = await runThoth(['--db', db, 'query', 'dead-letters', '-o', 'json'], { env: env() });
    const [letter] = JSON.parse(query.stdout) as Array<{
      value: { truncated: boolean; size_bytes: number; sha256: string; prefix: string };
    }>;
    expect(letter.value.truncated).toBe(true);
    // The body as recorded in the file: `text`, byte for byte.
    expect(letter.value.size_bytes).toBe(Buffer.byteLength(text));
    expect(letter.value.sha256).toBe(createHash('sha256').update(text).digest('hex'));
    expect(letter.value.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(letter.value.prefix).toHaveLength(DEAD_LETTER_VALUE_CHARS);
    expect(letter.value.prefix).toMatch(/^\{"component_name": ?"adviser"/);
    // The cache file holds the prefix, not the 300 kB value.
    expect(readFileSync(db).length).toBeLessThan(200_000);
  });
});
