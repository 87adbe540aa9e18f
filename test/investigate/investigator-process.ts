/**
 * Runs `thoth investigate` (the built binary) as a separate process that a
 * test can watch event by event, signal, or SIGKILL, plus the small helpers
 * the Kafka-backed investigator tests share.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterEach } from 'vitest';
import { BIN, cleanEnv, runThoth } from '../support/cli.js';
import { kafkaBootstrap } from '../support/kafka.js';
import { eventually } from '../support/eventually.js';

export const INDEX = 'https://index.example/simple';

export interface InvestigatorProcess {
  child: ChildProcess;
  events: Array<Record<string, unknown>>;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running = new Set<ChildProcess>();
/** Kills what a failed test left running (each by its own pid). */
afterEach(() => {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
});

/** `thoth investigate` recording workflows in the ledger only (namespace thoth), no HTTP port: the Kafka tests' usual run. */
export const RECORD_INVESTIGATE = ['investigate', '--workflows', 'record', '--namespace', 'thoth', '--port', 'none'];

/** `thoth investigate` on cache `db`, creating workflows in `namespace` of the cluster `kubeconfig` names, no HTTP port; `extra` after. */
export function clusterInvestigateArgs(db: string, kubeconfig: string, namespace: string, extra: string[] = []): string[] {
  return [
    '--db',
    db,
    'investigate',
    '--workflows',
    'cluster',
    '--kubeconfig',
    kubeconfig,
    '--namespace',
    namespace,
    '--port',
    'none',
    ...extra,
  ];
}

export function startInvestigator(args: string[], env: NodeJS.ProcessEnv): InvestigatorProcess {
  const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  child.on('exit', () => running.delete(child));
  const events: Array<Record<string, unknown>> = [];
  let pending = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) if (line.trim()) events.push(JSON.parse(line) as Record<string, unknown>);
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, events, stderr: () => stderr, exited };
}

export function waitFor<T>(probe: () => T | undefined | false, what: string, timeoutMs = 60_000): Promise<T> {
  return eventually(probe, what, { timeoutMs, intervalMs: 5 });
}

/** An environment on the test broker with its own deployment prefix, so topics and groups are this test's alone. */
export function kafkaEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv & { THOTH_DEPLOYMENT_NAME: string } {
  const deployment = `t${randomUUID().slice(0, 8)}`;
  return {
    ...cleanEnv({
      KAFKA_BOOTSTRAP_SERVERS: kafkaBootstrap(),
      THOTH_INDEX_URLS: INDEX,
      THOTH_DEPLOYMENT_NAME: deployment,
      KAFKA_CONSUMER_GROUP_ID: `${deployment}.investigator`,
      ...extra,
    }),
    THOTH_DEPLOYMENT_NAME: deployment,
  };
}

export function message(topic: string, fields: Record<string, unknown>, key: string | null = null): string {
  return JSON.stringify({
    topic,
    key,
    headers: {},
    value: { component_name: 'test', service_version: '1.0.0', version: 'v1', ...fields },
    timestamp: 1700000000000,
  });
}

export const unresolved = (name: string, version: string, solver: string | null = 'solver-rhel-8-py38') =>
  message(
    'thoth.investigator.unresolved-package',
    { package_name: name, package_version: version, index_url: INDEX, solver },
    `${name}==${version}`,
  );

export const solved = (name: string, version: string, solver = 'solver-rhel-8-py38') =>
  message('thoth.solver.solved-package', { package_name: name, package_version: version, index_url: INDEX, solver }, `${name}==${version}`);

/** Publishes recorded lines with `thoth replay` (validation off, so bad messages reach the broker too). */
export async function replayLines(file: string, env: NodeJS.ProcessEnv, db: string): Promise<void> {
  const result = await runThoth(['--db', db, 'replay', '--include-invalid', file], { env });
  if (result.code !== 0) throw new Error(`replay failed (${result.code}): ${result.stderr}`);
}
