/**
 * Helpers for tests against a real Kafka broker. `npm test` starts one
 * (scripts/with-services.mjs) and exports KAFKA_BOOTSTRAP_SERVERS; these tests
 * never skip themselves when it is missing, they fail and say how to run them.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { cleanEnv, runThoth, type RunResult } from './cli.js';

export function kafkaBootstrap(): string {
  const servers = process.env.KAFKA_BOOTSTRAP_SERVERS;
  if (!servers) {
    throw new Error(
      'Kafka tests need a broker: run them with npm test, or set KAFKA_BOOTSTRAP_SERVERS (node scripts/kafka.mjs start prints one)',
    );
  }
  return servers.replace(/^kafka:\/\//, '');
}

/** A topic name no other test (or earlier run) uses. */
export function uniqueTopic(prefix: string): string {
  return `thoth-test.${prefix}.${randomUUID().slice(0, 8)}`;
}

export interface KcatRecord {
  topic: string;
  partition: number;
  offset: number;
  ts: number;
  key: string | null;
  payload: string | null;
  /** kcat -J prints headers as a flat [name, value, name, value, ...] list. */
  headers?: string[];
}

function kcat(args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('kcat', ['-b', kafkaBootstrap(), ...args], { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`kcat ${args.join(' ')} failed: ${error.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

/** Produces one message with kcat (the value read from a file, so it may hold any bytes, newlines included). */
export async function kcatProduce(
  topic: string,
  message: { key?: string; value: string; headers?: Record<string, string>; partition?: number },
  timeoutMs = 20_000,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'thoth-kcat-'));
  try {
    const file = join(dir, 'value');
    writeFileSync(file, message.value);
    const args = ['-P', '-t', topic];
    if (message.key !== undefined) args.push('-k', message.key);
    if (message.partition !== undefined) args.push('-p', String(message.partition));
    for (const [name, value] of Object.entries(message.headers ?? {})) args.push('-H', `${name}=${value}`);
    await kcat([...args, file], timeoutMs);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Reads a whole topic from the beginning with kcat -C -J -e (exits at the end). */
export async function kcatConsume(topic: string, timeoutMs = 20_000): Promise<KcatRecord[]> {
  const out = await kcat(['-C', '-t', topic, '-J', '-e', '-q', '-o', 'beginning'], timeoutMs);
  return out
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as KcatRecord);
}

/** kcat's flat header list as an object. */
export function kcatHeaders(record: KcatRecord): Record<string, string> {
  const out: Record<string, string> = {};
  const list = record.headers ?? [];
  for (let i = 0; i + 1 < list.length; i += 2) out[list[i]] = list[i + 1]!;
  return out;
}

/**
 * thoth against one listener, with a deployment name of its own (so fresh
 * topics) and a database of its own under `workDir`; `settings` are the
 * KAFKA_* variables the listener needs.
 */
export function thothAt(bootstrap: string, settings: NodeJS.ProcessEnv, workDir: string, prefix: string) {
  const deployment = `${prefix}${Math.random().toString(36).slice(2, 8)}`;
  const env = cleanEnv({ KAFKA_BOOTSTRAP_SERVERS: bootstrap, THOTH_INDEX_URLS: 'https://index.example/simple', ...settings });
  const args = ['--db', join(workDir, `${deployment}.db`), '--deployment-name', deployment];
  return { deployment, run: (more: string[]): Promise<RunResult> => runThoth([...args, ...more], { env }) };
}

/**
 * A new broker makes and loads its __transaction_state topic on the first transactional
 * request, which on a busy machine takes longer than `thoth doctor`'s 5 s for the broker
 * clock (a neutral "still loading" line then). Tests of the reading itself start once the
 * transaction coordinator is ready: a transaction begun and aborted by kafkajs, which
 * waits for it.
 */
export async function readyTransactionCoordinator(bootstrap: string): Promise<void> {
  const kafka = new kafkajs.Kafka({ brokers: [bootstrap], logLevel: kafkajs.logLevel.NOTHING });
  const producer = kafka.producer({
    transactionalId: `thoth-test.ready.${randomUUID().slice(0, 8)}`,
    maxInFlightRequests: 1,
    idempotent: true,
  });
  await producer.connect();
  try {
    const transaction = await producer.transaction();
    await transaction.abort();
  } finally {
    await producer.disconnect();
  }
}
