/**
 * Every scenario of fixtures/scenarios/ through dispatch and the effect
 * executor, in process: a real cache on a temp file, workflows recorded in
 * the ledger (no cluster), follow-up messages fed back in as `investigate
 * --from` does, permanent failures written as dead letters.
 */
import { dirname, join } from 'node:path';
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { PermanentError } from '../../src/cli/errors.js';
import { investigatorConfig } from '../../src/investigate/config.js';
import { planEffects } from '../../src/investigate/dispatch.js';
import { createExecutor } from '../../src/investigate/executor.js';
import { createIndexClient } from '../../src/investigate/index-client.js';
import { decodeConsumed, maxMessageBytes } from '../../src/investigate/record-decoder.js';
import { fileSource } from '../../src/investigate/sources.js';
import { parseBody } from '../../src/messages/ndjson.js';
import { openStore } from '../../src/store/index.js';
import { startIndexServer, type IndexServer } from '../support/index-server.js';
import { listScenarios, loadScenario, scenarioMismatches, type LoadedScenario, type ScenarioOutcome } from './scenario-harness.js';

const NOW = Date.parse('2026-11-27T12:00:00Z');

async function runScenario(scenario: LoadedScenario): Promise<ScenarioOutcome> {
  const config = investigatorConfig(scenario.env);
  const store = openStore(join(dirname(scenario.inputPath), 'thoth.db'), { create: true, indexUrls: config.indexUrls.join(',') });
  const published: ScenarioOutcome['published'] = [];
  const metrics: ScenarioOutcome['metrics'] = [];
  const badLines: string[] = [];
  const source = fileSource({ path: scenario.inputPath, stdin: process.stdin, deploymentName: config.deploymentName, now: () => NOW, onBadLine: (text) => badLines.push(text) });
  const executor = createExecutor({
    store,
    kube: null,
    namespaceFor: () => 'thoth',
    publish: async (record) => {
      published.push({ type: record.messageType, message: record.message });
      await source.publish(record);
    },
    now: () => NOW,
    metrics: {
      count: (name, labels, value) => {
        const found = metrics.find((m) => m.name === name && JSON.stringify(m.labels) === JSON.stringify(labels));
        if (found) found.value += value;
        else metrics.push({ name, labels, value });
      },
    },
  });
  const index = createIndexClient({ timeoutMs: 5000 });
  const maxBytes = maxMessageBytes(scenario.env);

  const consumption = source.consume(async (record) => {
    const ref = { topic: record.topic, partition: record.partition, offset: record.offset };
    try {
      const decoded = decodeConsumed(record, { deploymentName: config.deploymentName, maxBytes });
      const effects = await planEffects({ ...decoded, headers: record.headers, source: ref }, { store, config, index, now: () => NOW });
      await executor.execute(effects, ref);
    } catch (error) {
      if (!(error instanceof PermanentError)) throw error;
      store.recordDeadLetter({ ...ref, errorClass: error.errorClass, reason: error.message, value: parseBody(record.value), headers: record.headers, createdAt: new Date(NOW).toISOString() });
    }
  }, new AbortController().signal);
  await consumption.done;
  expect(badLines).toEqual([]);

  const outcome: ScenarioOutcome = {
    workflows: store.workflowsReport(),
    published,
    deadLetters: store.deadLettersReport(),
    packageVersion: (name, version) => store.packageReport(name, version, config.solvers).versions[0] as unknown as Record<string, unknown> | undefined,
    metrics,
  };
  // Read everything before closing: the reports are plain data.
  const snapshot = { ...outcome, packages: new Map<string, Record<string, unknown> | undefined>() };
  for (const pkg of scenario.expected.packages ?? []) snapshot.packages.set(`${pkg.name}==${pkg.version}`, outcome.packageVersion(pkg.name, pkg.version));
  store.close();
  return { ...outcome, packageVersion: (name, version) => snapshot.packages.get(`${name}==${version}`) };
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
        'si-fails-only-once',
        'bad-input',
      ]),
    );
  });

  it.each(scenarios)('%s', async (name) => {
    const probe = loadScenario(name);
    let values: Record<string, string> = {};
    if (probe.expected.index) {
      const server = await startIndexServer(Object.fromEntries(Object.entries(probe.expected.index).map(([project, versions]) => [project, { versions }])));
      servers.push(server);
      values = { INDEX_URL: server.url };
    }
    rmSync(dirname(probe.inputPath), { recursive: true, force: true });
    const scenario = loadScenario(name, values);
    try {
      expect(scenarioMismatches(scenario.expected, await runScenario(scenario))).toEqual([]);
    } finally {
      rmSync(dirname(scenario.inputPath), { recursive: true, force: true });
    }
  });
});
