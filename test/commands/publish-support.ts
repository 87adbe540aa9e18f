/**
 * The transports the message-command suites run against: the embedded broker
 * on a temporary SQLite file, and a real Kafka broker (KAFKA_BOOTSTRAP_SERVERS,
 * started by `npm test`) with a deployment name no other run uses, so that
 * every test sees fresh topics.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanEnv, runThoth, type RunOptions, type RunResult } from '../support/cli.js';
import { kafkaBootstrap } from '../support/kafka.js';

export type TransportKind = 'embedded' | 'kafka';
export const TRANSPORTS: TransportKind[] = ['embedded', 'kafka'];

export const INDEX = 'https://index.example/simple';

export interface Site {
  kind: TransportKind;
  /** Global options that select this site's broker, database and topic prefix. */
  args: string[];
  env: NodeJS.ProcessEnv;
  deployment: string;
  db: string;
  /** Runs thoth in-process against this site. */
  thoth(args: string[], options?: RunOptions): Promise<RunResult>;
  /** Another deployment on the same broker (a fresh set of topics). */
  elsewhere(): Site;
}

export function tempDir(prefix = 'thoth-msg-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function site(kind: TransportKind, db = join(tempDir(), 'thoth.db')): Site {
  const deployment = `t${randomUUID().slice(0, 8)}`;
  const env = cleanEnv(
    kind === 'kafka' ? { KAFKA_BOOTSTRAP_SERVERS: kafkaBootstrap(), THOTH_INDEX_URLS: INDEX } : { THOTH_INDEX_URLS: INDEX },
  );
  const args = ['--db', db, '--deployment-name', deployment];
  return {
    kind,
    args,
    env,
    deployment,
    db,
    thoth: (more, options = {}) => runThoth([...args, ...more], { env, ...options }),
    elsewhere: () => site(kind, db),
  };
}

/** Parses NDJSON stdout. */
export function lines(stdout: string): Array<Record<string, any>> {
  return stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, any>);
}
