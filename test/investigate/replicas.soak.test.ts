/**
 * Several replicas behave as one (SPEC §3, §5.1; issue 9): the same stream
 * of a few thousand messages (replicas-stream.ts, fixed seed) through one
 * replica, and through a group of replicas that are added, stopped and
 * SIGKILLed throughout (over ten kills, with empty and with kept caches) while
 * the broker itself is killed and restarted once. The union of what the
 * group did equals what the one replica did: every workflow (created once:
 * one 201 per name), every adviser re-run (once per advice run), and the
 * same knowledge in every surviving replica's cache.
 *
 * The broker is this file's own (killing the shared one would break the
 * other files), and so is the Kubernetes API server the workflows go to: a
 * real kube-apiserver with Argo's Workflow CRD and no controller, so the
 * thousands of workflows are stored and counted, not run (the shared
 * cluster's controller and kubelet would spend the suite's two cores on them).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crashAndRestartKafka, startKafka, stopKafka } from '../../scripts/kafka.mjs';
import { runThoth } from '../support/cli.js';
import { stringify } from 'yaml';
import { argoWorkflowCrd, startBareCluster, type BareCluster } from '../support/cluster.js';
import { clusterInvestigateArgs, kafkaEnv, startInvestigator, type InvestigatorProcess } from './investigator-process.js';
import { knowledgeOf, publishLines } from './knowledge-support.js';
import { replicaStream } from './replicas-stream.js';

interface OwnBroker {
  bootstrap: string;
  pid: number;
  dir: string;
}

let broker: OwnBroker;
let kube: BareCluster;
let dir: string;
let admin: Admin;

beforeAll(async () => {
  broker = (await startKafka(process.env, { stopWithProcess: true })) as OwnBroker;
  kube = await startBareCluster();
  // Only apply reads its standard input (a 2.5 MB CRD written to a kubectl that does not read it is an EPIPE).
  const crd = stringify(await argoWorkflowCrd());
  const steps: Array<[string[], string | undefined]> = [
    [['apply', '--server-side', '-f', '-'], crd],
    [['create', 'namespace', 'single'], undefined],
    [['create', 'namespace', 'group'], undefined],
  ];
  for (const [args, input] of steps) {
    const result = await kube.kubectl(args, input === undefined ? {} : { input });
    if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${result.stderr}`);
  }
  await kube.kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/workflows.argoproj.io']);
  dir = mkdtempSync(join(tmpdir(), 'thoth-replicas-'));
  admin = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 10 } }).admin();
  await admin.connect();
}, 300_000);
afterAll(async () => {
  await admin?.disconnect();
  await kube?.stop();
  if (broker) await stopKafka(broker);
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

const stream = replicaStream({ packages: 80, versions: 10, adviceRuns: 120, seed: 9 });

function deploymentEnv() {
  return kafkaEnv({ KAFKA_BOOTSTRAP_SERVERS: broker.bootstrap });
}

/**
 * Everything the group consumes has been handled: committed offsets at every end, and still so a few
 * seconds later. A topic the investigator writes in transactions (adviser-re-run) ends with a commit
 * marker, which no consumer commits past: there the offset before the marker is the end.
 */
async function quiescent(group: string, prefix: string, describe?: () => string, timeoutMs = 480_000): Promise<void> {
  const ends = async () => {
    const topics = (await admin.listTopics()).filter(
      (t) => t.startsWith(`${prefix}.`) && !t.endsWith('.knowledge') && !t.endsWith('.dead-letter'),
    );
    const committed = new Map<string, number>();
    for (const { topic, partitions } of await admin.fetchOffsets({ groupId: group, topics }))
      for (const p of partitions) committed.set(`${topic}/${p.partition}`, Number(p.offset));
    let behind = 0;
    const lagging: string[] = [];
    for (const topic of topics)
      for (const { partition, high, low } of await admin.fetchTopicOffsets(topic)) {
        const at = Math.max(committed.get(`${topic}/${partition}`) ?? Number(low), Number(low));
        const lag = Math.max(0, Number(high) - (topic.endsWith('.adviser-re-run') ? 1 : 0) - at);
        if (lag > 0) lagging.push(`${topic}/${partition} committed ${at} of ${high}`);
        behind += lag;
      }
    last = lagging.join('; ');
    return behind;
  };
  const deadline = Date.now() + timeoutMs;
  let quiet = 0;
  let last = '';
  while (quiet < 4) {
    if (Date.now() > deadline)
      throw new Error(
        `the group ${group} did not finish within ${timeoutMs / 1000}s${last ? ` (${last})` : ''}${describe ? `\n${describe()}` : ''}`,
      );
    const behind = await ends().catch(() => -1);
    quiet = behind === 0 ? quiet + 1 : 0;
    await new Promise((r) => setTimeout(r, 1_000));
  }
}

/** The adviser ids of the committed re-runs on the deployment's topic. */
function reRuns(prefix: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    execFile(
      'kcat',
      ['-b', broker.bootstrap, '-C', '-t', `${prefix}.thoth.investigator.adviser-re-run`, '-J', '-e', '-q', '-o', 'beginning'],
      { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout) => {
        if (error) return reject(new Error(`kcat failed: ${error.message}`));
        resolve(
          stdout
            .split('\n')
            .filter(Boolean)
            .map((l) => (JSON.parse((JSON.parse(l) as { payload: string }).payload) as { re_run_adviser_id: string }).re_run_adviser_id)
            .sort(),
        );
      },
    );
  });
}

/**
 * The workflows stored in the namespace, by name, and the uid of each: the API server refuses a second create
 * of a name (409), so a workflow created twice could only show as a name missing from one side.
 */
async function created(namespace: string): Promise<{ names: string[]; uids: number }> {
  const result = await kube.kubectl(['get', 'workflows.argoproj.io', '-n', namespace, '-o', 'json']);
  if (result.code !== 0) throw new Error(`kubectl get workflows -n ${namespace}: ${result.stderr}`);
  const items = (JSON.parse(result.stdout) as { items: Array<{ metadata: { name: string; uid: string } }> }).items;
  return { names: items.map((w) => w.metadata.name).sort(), uids: new Set(items.map((w) => w.metadata.uid)).size };
}

class Group {
  readonly running = new Map<string, InvestigatorProcess>();
  readonly homes: string[] = [];
  kills = 0;
  private count = 0;

  constructor(
    private readonly env: NodeJS.ProcessEnv,
    private readonly namespace: string,
  ) {}

  /** A replica with a cache of its own: new and empty, or the one a stopped replica left (`home`). */
  start(home?: string): string {
    const id = `r${++this.count}`;
    const db = home ?? join(dir, `${this.namespace}-${id}.db`);
    if (!home) this.homes.push(db);
    this.running.set(id, startInvestigator(clusterInvestigateArgs(db, kube.adminKubeconfig, this.namespace), this.env));
    return id;
  }

  /** Each running replica as a failed wait shows it: whether it ended, its last events, the end of its stderr. */
  describe(): string {
    return [...this.running]
      .map(([id, run]) => {
        const events = run.events.slice(-3).map((e) => JSON.stringify(e).slice(0, 300));
        return `${id} (exit ${String(run.child.exitCode)}): ${events.join(' ')}\n  stderr: ${run.stderr().slice(-1_500)}`;
      })
      .join('\n');
  }

  async kill(id = [...this.running.keys()][0]): Promise<string> {
    const run = this.running.get(id)!;
    this.running.delete(id);
    // A replica that ended by itself (it must not: a broker away is waited for) shows why.
    expect(run.child.exitCode, run.stderr()).toBeNull();
    run.child.kill('SIGKILL');
    expect((await run.exited).signal).toBe('SIGKILL');
    this.kills++;
    return id;
  }

  async stop(id = [...this.running.keys()][0]): Promise<void> {
    const run = this.running.get(id)!;
    this.running.delete(id);
    run.child.kill('SIGTERM');
    expect((await run.exited).code, run.stderr()).toBe(0);
  }

  async stopAll(): Promise<Array<{ db: string; run: InvestigatorProcess }>> {
    const left = [...this.running.values()];
    for (const id of [...this.running.keys()]) await this.stop(id);
    return left.map((run) => ({ db: String(run.child.spawnargs[run.child.spawnargs.indexOf('--db') + 1]), run }));
  }
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const chunks = (lines: string[], n: number) => Array.from({ length: n }, (_, i) => lines.filter((_, j) => j % n === i));

describe('replicas of the investigator', () => {
  it(
    `behave as one over ${stream.ask.length + stream.answer.length} messages, across additions, stops, SIGKILLs and a broker crash`,
    { timeout: 1_500_000 },
    async () => {
      // One replica, nothing killed: what the stream leads to.
      const single = deploymentEnv();
      expect((await runThoth(['topics', 'create', '--partitions', '3'], { env: single })).code).toBe(0);
      const one = new Group(single, 'single');
      one.start();
      await publishLines(dir, stream.ask, single, 'ask');
      await quiescent(single.KAFKA_CONSUMER_GROUP_ID!, single.THOTH_DEPLOYMENT_NAME, () => one.describe());
      await publishLines(dir, stream.answer, single, 'answer');
      await quiescent(single.KAFKA_CONSUMER_GROUP_ID!, single.THOTH_DEPLOYMENT_NAME, () => one.describe());
      await pause(3_000);
      const [reference] = await one.stopAll();

      // The group: the same stream, in chunks, with replicas changing all along.
      const env = deploymentEnv();
      expect((await runThoth(['topics', 'create', '--partitions', '3'], { env })).code).toBe(0);
      const group = new Group(env, 'group');
      group.start();
      group.start();
      const ask = chunks(stream.ask, 4);
      const answer = chunks(stream.answer, 4);

      await publishLines(dir, ask[0], env, 'ask');
      await pause(2_500);
      await group.kill();
      group.start();
      await publishLines(dir, ask[1], env, 'ask');
      await pause(2_500);
      await group.kill();
      group.start(group.homes[0]); // a restart that kept its cache
      group.start(); // a third replica
      await publishLines(dir, ask[2], env, 'ask');
      await pause(2_500);
      await group.kill();
      await group.stop(); // a clean stop
      group.start();
      await publishLines(dir, ask[3], env, 'ask');
      await pause(2_000);
      await group.kill();
      group.start(group.homes[1]);
      await quiescent(env.KAFKA_CONSUMER_GROUP_ID!, env.THOTH_DEPLOYMENT_NAME, () => group.describe());

      await publishLines(dir, answer[0], env, 'answer');
      await pause(2_000);
      await group.kill();
      // The broker crashes (SIGKILL) with work in flight and comes back on the same port and data; the
      // replicas running wait for it. (One starting meanwhile would stop at once, "cannot reach Kafka",
      // and be restarted by Kubernetes: started here once the broker is back.)
      await publishLines(dir, answer[1], env, 'answer');
      await pause(1_500);
      await crashAndRestartKafka(broker, process.env, { downMs: 2_000, stopWithProcess: true });
      group.start();
      await pause(2_500);
      await group.kill();
      group.start(group.homes[2]);
      await publishLines(dir, answer[2], env, 'answer');
      await pause(2_500);
      await group.kill();
      group.start();
      await pause(2_000);
      await group.kill();
      group.start();
      await publishLines(dir, answer[3], env, 'answer');
      await pause(2_500);
      await group.kill();
      group.start();
      group.start(group.homes[3]);
      await pause(2_000);
      await group.kill();
      group.start();
      await quiescent(env.KAFKA_CONSUMER_GROUP_ID!, env.THOTH_DEPLOYMENT_NAME, () => group.describe());
      await pause(3_000);
      expect(group.kills).toBeGreaterThanOrEqual(10);
      const survivors = await group.stopAll();
      expect(survivors.length).toBeGreaterThanOrEqual(2);

      // Workflows: the same set, each created once (a second create of a name would be a 409, never a 201).
      const want = await created('single');
      const got = await created('group');
      expect(got.names.length).toBeGreaterThan(0);
      expect(got.names).toEqual(want.names);
      expect(got.uids).toBe(got.names.length);
      // Adviser re-runs: one per advice run, none twice.
      expect(await reRuns(single.THOTH_DEPLOYMENT_NAME)).toEqual(stream.adviceRunsDone);
      expect(await reRuns(env.THOTH_DEPLOYMENT_NAME)).toEqual(stream.adviceRunsDone);
      // Knowledge: every surviving replica's cache holds the same, and the same as the one replica's. A replica
      // follows the knowledge topic a moment behind the others' commits, as a Kafka Streams global table does: each
      // cache is first read to the topic's end (what the replica would have done next, had it not been stopped).
      for (const [db, e] of [[reference.db, single], ...survivors.map(({ db }) => [db, env] as const)] as const) {
        const synced = await runThoth(['--db', db, 'cache', 'sync', '-o', 'json'], { env: e });
        expect(synced.code, synced.stderr).toBe(0);
      }
      const inGroup = (k: unknown) => JSON.parse(JSON.stringify(k).replaceAll('"namespace":"single"', '"namespace":"group"')) as unknown;
      const expected = inGroup(await knowledgeOf(reference.db, single, stream.packages));
      for (const { db } of survivors) expect(await knowledgeOf(db, env, stream.packages)).toEqual(expected);
      console.log(
        `replicas: ${stream.ask.length + stream.answer.length} messages, ${group.kills} SIGKILLs, 1 broker crash; ${got.names.length} workflows, ${stream.adviceRunsDone.length} re-runs`,
      );
    },
  );
});
