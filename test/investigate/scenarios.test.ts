/**
 * Every scenario of fixtures/scenarios/, twice: through dispatch and the
 * effect executor in process (a real cache on a temp file, workflows recorded
 * in the ledger, follow-up messages fed back in, permanent failures written
 * as dead letters), and through the command a user runs, `thoth investigate
 * --from input.ndjson --workflows record`, read back with `thoth query`.
 */
import { readSettings } from '../../src/config/settings.js';
import { dirname, join } from 'node:path';
import { rmSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { PermanentError } from '../../src/core/errors.js';
import { investigatorConfig } from '../../src/config/investigator.js';
import { planEffects } from '../../src/investigate/dispatch.js';
import { createExecutor } from '../../src/investigate/executor.js';
import { createIndexClient } from '../../src/investigate/index-client.js';
import { decodeConsumed } from '../../src/investigate/record-decoder.js';
import { fileSource } from '../../src/investigate/sources.js';
import { createDecider } from '../../src/investigate/decide.js';
import { knowledgeTopics } from '../../src/investigate/runner.js';
import { parseBody } from '../../src/messages/ndjson.js';
import { openStore } from '../../src/store/index.js';
import { DEFAULT_BATCH, cacheWrites } from '../../src/transport/batch.js';
import { cleanEnv, runThoth } from '../support/cli.js';
import { startIndexServer, type IndexServer } from '../support/index-server.js';
import type { KubeClient } from '../../src/workflows/types.js';
import {
  listScenarios,
  loadScenario,
  queriedOutcome,
  scenarioMismatches,
  type LoadedScenario,
  type ScenarioOutcome,
} from './scenario-harness.js';

const NOW = Date.parse('2026-11-27T12:00:00Z');

async function runScenario(scenario: LoadedScenario, kube: KubeClient | null = null): Promise<ScenarioOutcome> {
  const config = investigatorConfig(readSettings(scenario.env));
  const store = openStore(join(dirname(scenario.inputPath), 'thoth.db'), { create: true, indexUrls: config.indexUrls.join(',') });
  const published: ScenarioOutcome['published'] = [];
  const metrics: ScenarioOutcome['metrics'] = [];
  const badLines: string[] = [];
  const topics = knowledgeTopics(config);
  const source = fileSource({
    path: scenario.inputPath,
    stdin: process.stdin,
    deploymentName: config.deploymentName,
    knowledgeTopic: topics.knowledge,
    now: () => NOW,
    onBadLine: (text) => badLines.push(text),
  });
  const executor = createExecutor({
    store,
    kube,
    namespaceFor: () => 'thoth',
    knowledgeTopic: topics.knowledge,
    deploymentName: config.deploymentName,
    now: () => NOW,
    onEvent: (event) => {
      if (event.kind === 'published')
        published.push({ type: String(event.detail.type), message: event.detail.message as Record<string, unknown> });
    },
    metrics: {
      count: (name, labels, value) => {
        const found = metrics.find((m) => m.name === name && JSON.stringify(m.labels) === JSON.stringify(labels));
        if (found) found.value += value;
        else metrics.push({ name, labels, value });
      },
    },
  });
  const index = createIndexClient({ timeoutMs: 5000 });
  const maxBytes = readSettings(scenario.env).maxMessageBytes;
  const stop = new AbortController();
  // The in-process changelog: a file run owns every decision, and reads no knowledge topic.
  const decider = createDecider({
    store,
    config,
    sync: { catchUp: async () => undefined, reach: async () => undefined, positions: () => new Map() },
    transport: { send: (records) => source.knowledge.send(records), partitionOf: async () => 0 },
    decisionsTopic: topics.decisions ?? '',
    owned: () => [0],
    executor,
    note: () => undefined,
    warn: (text) => badLines.push(text),
    signal: stop.signal,
  });
  decider.ready();

  const consumption = source.consume(
    async (record, context) => {
      const ref = { topic: record.topic, partition: record.partition, offset: record.offset };
      try {
        if (record.topic === topics.decisions) {
          await decider.handle(record, context);
          return;
        }
        const decoded = decodeConsumed(record, { deploymentName: config.deploymentName, maxBytes });
        const effects = await planEffects({ ...decoded, headers: record.headers, source: ref }, { store, config, index, now: () => NOW });
        const executed = await executor.execute(effects, ref, context.exactlyOnce!.commit);
        await decider.consider(executed.touched);
      } catch (error) {
        if (!(error instanceof PermanentError)) throw error;
        store.recordDeadLetter({
          ...ref,
          errorClass: error.errorClass,
          reason: error.message,
          value: parseBody(record.value),
          headers: record.headers,
          createdAt: new Date(NOW).toISOString(),
        });
      }
    },
    stop.signal,
    { cache: cacheWrites(store), bounds: DEFAULT_BATCH },
  );
  await consumption.done;
  expect(badLines).toEqual([]);

  const outcome: ScenarioOutcome = {
    workflows: store.workflowsReport(),
    published,
    deadLetters: store.deadLettersReport(),
    packageVersion: (name, version) =>
      store.packageReport(name, version, config.solvers).versions[0] as unknown as Record<string, unknown> | undefined,
    metrics,
  };
  // Read everything before closing: the reports are plain data.
  const snapshot = { ...outcome, packages: new Map<string, Record<string, unknown> | undefined>() };
  for (const pkg of scenario.expected.packages ?? [])
    snapshot.packages.set(`${pkg.name}==${pkg.version}`, outcome.packageVersion(pkg.name, pkg.version));
  store.close();
  return { ...outcome, packageVersion: (name, version) => snapshot.packages.get(`${name}==${version}`) };
}

/** The same run as a user makes it; what it left behind read back with `thoth query … -o json`. */
async function runScenarioCommand(scenario: LoadedScenario): Promise<ScenarioOutcome> {
  const db = join(dirname(scenario.inputPath), 'cli.db');
  const env = cleanEnv(scenario.env);
  // The same expectation through --expect: the command's own verdict must agree.
  const expected = join(dirname(scenario.inputPath), 'expected.json');
  writeFileSync(expected, JSON.stringify(scenario.expected));
  const run = await runThoth(['--db', db, 'investigate', '--from', scenario.inputPath, '--workflows', 'record', '--expect', expected], {
    env,
  });
  expect(run.code, run.stderr).toBe(0);
  expect(run.stderr).toContain(`expect: the run matches ${expected}`);
  const events = run.stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  const queried = await queriedOutcome(db, env, scenario.expected);
  return {
    ...queried,
    published: events
      .filter((e) => e.event === 'published')
      .map((e) => ({ type: e.messageType as string, message: e.message as Record<string, unknown> })),
    // Metrics are served on --port, which a file run does not open; the in-process run checks them.
    metrics: scenario.expected.metrics ?? [],
  };
}

const scenarios = listScenarios();
const servers: IndexServer[] = [];
afterAll(async () => {
  for (const server of servers) await server.close();
});

describe('scenario fixtures', () => {
  it('exist for every row family of SPEC §3 and the stories of issue #4', () => {
    expect(scenarios).toEqual(
      expect.arrayContaining([
        'unresolved-package',
        'unresolved-package-every-version',
        'unrevsolved-package',
        'package-released',
        'solved-package',
        'si-unanalyzed-package',
        'update-provides-source-distro',
        'missing-package',
        'missing-package-version',
        'hash-mismatch',
        'cve-provided',
        'adviser',
        'triggers',
        'inspection-completed',
        'advise-justification',
        'duplicates',
        'continuous-learning',
        'advice-own-environment',
        'advice-already-solved',
        'si-fails-only-once',
        'bad-input',
      ]),
    );
  });

  async function loaded(name: string): Promise<LoadedScenario> {
    const probe = loadScenario(name);
    rmSync(dirname(probe.inputPath), { recursive: true, force: true });
    if (!probe.expected.index) return loadScenario(name);
    const server = await startIndexServer(
      Object.fromEntries(Object.entries(probe.expected.index).map(([project, versions]) => [project, { versions }])),
    );
    servers.push(server);
    return loadScenario(name, { INDEX_URL: server.url });
  }

  it.each(scenarios)('%s, in process', async (name) => {
    const scenario = await loaded(name);
    try {
      expect(scenarioMismatches(scenario.expected, await runScenario(scenario))).toEqual([]);
    } finally {
      rmSync(dirname(scenario.inputPath), { recursive: true, force: true });
    }
  });

  it.each(scenarios)('%s, through thoth investigate --from', async (name) => {
    const scenario = await loaded(name);
    try {
      expect(scenarioMismatches(scenario.expected, await runScenarioCommand(scenario))).toEqual([]);
    } finally {
      rmSync(dirname(scenario.inputPath), { recursive: true, force: true });
    }
  });
  // Against the real API server (every scenario that schedules, bad-input included): test/cluster/investigate-streams.test.ts.
});
