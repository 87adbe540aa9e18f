/**
 * Every scenario fixture through a real broker: the input is published to
 * Kafka record by record (`thoth replay`), a long-running `thoth investigate`
 * consumes it as a consumer group, and what it leaves behind is read back
 * with `thoth query … -o json` and compared with expected.json, like the
 * `--from` runs of scenarios.test.ts.
 *
 * Each record is published once the previous one (and every follow-up and
 * decision it caused) has been handled, so that the order across topics is
 * the file's, as the expectations assume; partitions are still consumed
 * concurrently.
 */
import { readSettings } from '../../src/config/settings.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { investigatorConfig } from '../../src/config/investigator.js';
import { handlesInMode } from '../../src/investigate/modes.js';
import { typeOfTopic } from '../../src/messages/records.js';
import { startIndexServer, type IndexServer } from '../support/index-server.js';
import { kafkaEnv, replayLines, startInvestigator, waitFor } from './investigator-process.js';
import {
  listScenarios,
  loadScenario,
  queriedOutcome,
  scenarioMismatches,
  type LoadedScenario,
  type ScenarioOutcome,
} from './scenario-harness.js';

const HANDLED = new Set(['processed', 'dead-letter', 'skipped', 'duplicate']);
const servers: IndexServer[] = [];
afterAll(async () => {
  for (const server of servers) await server.close();
});

async function load(name: string): Promise<LoadedScenario> {
  const probe = loadScenario(name);
  if (!probe.expected.index) return probe;
  const server = await startIndexServer(
    Object.fromEntries(Object.entries(probe.expected.index).map(([project, versions]) => [project, { versions }])),
  );
  servers.push(server);
  return loadScenario(name, { INDEX_URL: server.url });
}

async function runThroughKafka(scenario: LoadedScenario): Promise<{ outcome: ScenarioOutcome; unconsumedTopics: Set<string> }> {
  const env = kafkaEnv(scenario.env);
  const deployment = env.THOTH_DEPLOYMENT_NAME;
  const work = dirname(scenario.inputPath);
  const db = join(work, 'kafka.db');
  const modes = investigatorConfig(readSettings(env)).modes;
  // The producer keeps the default size limit; only the investigator reads with the scenario's.
  const producerEnv = { ...env, KAFKA_MESSAGE_MAX_BYTES: undefined };

  const run = startInvestigator(['--db', db, 'investigate', '--workflows', 'record', '--port', 'none'], env);
  const handled = () => run.events.filter((e) => HANDLED.has(String(e.event))).length;
  const published = () => run.events.filter((e) => e.event === 'published').length;
  // Decisions (security indicators, adviser re-runs) are triggered before the message that completes them is reported processed.
  const decisionsOpen = () =>
    run.events.filter((e) => e.event === 'decision-trigger').length - run.events.filter((e) => e.event === 'decision').length;
  const unconsumedTopics = new Set<string>();
  let sent = 0;
  const lines = readFileSync(scenario.inputPath, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
  for (const [i, line] of lines.entries()) {
    const topic = (JSON.parse(line) as { topic: string }).topic;
    const type = typeOfTopic(topic);
    const file = join(work, `line-${i}.ndjson`);
    writeFileSync(file, `${line}\n`);
    await replayLines(file, producerEnv, join(work, 'replay.db'));
    // A topic this investigator does not subscribe to is never read: nothing to wait for.
    if (!type || !handlesInMode(type.name, modes)) {
      unconsumedTopics.add(topic);
      continue;
    }
    sent++;
    await waitFor(
      () => {
        if (run.child.exitCode !== null) throw new Error(`the investigator exited (${run.child.exitCode}): ${run.stderr()}`);
        return handled() >= sent + published() && decisionsOpen() <= 0;
      },
      `record ${i + 1} of ${scenario.name} to be handled`,
      60_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\nlast events: ${JSON.stringify(run.events.slice(-4))}\nstderr: ${run.stderr()}`);
    });
  }
  run.child.kill('SIGTERM');
  expect((await run.exited).code, run.stderr()).toBe(0);

  const queried = await queriedOutcome(db, env, scenario.expected);
  const unprefixed = (topic: string) => (topic.startsWith(`${deployment}.`) ? topic.slice(deployment.length + 1) : topic);
  const outcome: ScenarioOutcome = {
    ...queried,
    published: run.events
      .filter((e) => e.event === 'published')
      .map((e) => ({ type: e.messageType as string, message: e.message as Record<string, unknown> })),
    deadLetters: queried.deadLetters.map((d) => ({ ...d, topic: unprefixed(d.topic) })),
    // Metrics: checked by the in-process run of scenarios.test.ts.
    metrics: scenario.expected.metrics ?? [],
  };
  return { outcome, unconsumedTopics };
}

describe('scenario fixtures through Kafka', () => {
  it.each(listScenarios())('%s', { timeout: 180_000 }, async (name) => {
    const scenario = await load(name);
    const { outcome, unconsumedTopics } = await runThroughKafka(scenario);
    // A broker consumer never sees a topic outside the catalogue, so it cannot dead-letter it (a --from run can).
    const expected = {
      ...scenario.expected,
      dead_letters: (scenario.expected.dead_letters ?? []).filter((d) => !unconsumedTopics.has(d.topic)),
    };
    expect(scenarioMismatches(expected, outcome)).toEqual([]);
  });
});
