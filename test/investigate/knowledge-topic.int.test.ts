/**
 * The knowledge topic itself, on a real broker: created compacted when it is
 * missing, a warning naming cleanup.policy when it exists uncompacted, a
 * record this thoth cannot read reported once with its position and skipped,
 * a restart with an empty cache that ends where a restart with its cache
 * ends, and read by every replica without a consumer group of its own.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { kafkaBootstrap, kcatProduce } from '../support/kafka.js';
import { kafkaEnv, startInvestigator } from './investigator-process.js';
import { knowledgeOf, publishLines, reRunsOf, solvedLine, unresolvedLine } from './knowledge-support.js';
import { createTopicsWithLeaders } from '../../src/transport/kafka/client.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'thoth-knowledge-topic-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const admin = new Kafka({ brokers: [kafkaBootstrap()], logLevel: logLevel.NOTHING }).admin();
beforeAll(() => admin.connect());
afterAll(() => admin.disconnect());

const policyOf = async (topic: string) => {
  const { resources } = await admin.describeConfigs({
    includeSynonyms: false,
    resources: [{ type: 2, name: topic, configNames: ['cleanup.policy'] }],
  });
  return resources[0].configEntries.find((e) => e.configName === 'cleanup.policy')?.configValue;
};

async function investigateUntilIdle(db: string, env: NodeJS.ProcessEnv, idleSeconds = 3) {
  const run = startInvestigator(
    ['--db', db, 'investigate', '--workflows', 'record', '--port', 'none', '--until-idle', String(idleSeconds)],
    env,
  );
  const exit = await run.exited;
  expect(exit.code, run.stderr()).toBe(0);
  return run;
}

describe('the knowledge topic', () => {
  it('is created with cleanup.policy=compact when missing', { timeout: 60_000 }, async () => {
    const env = kafkaEnv();
    const topic = `${env.THOTH_DEPLOYMENT_NAME}.thoth.investigator.knowledge`;
    expect(await admin.listTopics()).not.toContain(topic);
    await investigateUntilIdle(join(dir, 'a.db'), env, 1);
    expect(await policyOf(topic)).toBe('compact');
  });

  it('exists without compaction: a warning names cleanup.policy', { timeout: 60_000 }, async () => {
    const env = kafkaEnv();
    const topic = `${env.THOTH_DEPLOYMENT_NAME}.thoth.investigator.knowledge`;
    await createTopicsWithLeaders(admin, [{ topic, numPartitions: 2, configEntries: [{ name: 'cleanup.policy', value: 'delete' }] }]);
    const run = await investigateUntilIdle(join(dir, 'a.db'), env, 1);
    expect(run.stderr()).toContain(`the knowledge topic ${topic} has cleanup.policy=delete, not compact`);
    expect(run.stderr()).toContain('set cleanup.policy=compact on it');
    // Left as it is: changing a topic's retention is the operator's decision.
    expect(await policyOf(topic)).toBe('delete');
  });

  it('a record this thoth cannot read is reported once with its position, skipped, and reading goes on', { timeout: 90_000 }, async () => {
    const env = kafkaEnv();
    const topic = `${env.THOTH_DEPLOYMENT_NAME}.thoth.investigator.knowledge`;
    const db = join(dir, 'a.db');
    await investigateUntilIdle(db, env, 1);
    // A fact from a newer thoth, and a broken one, on one partition; then real knowledge after them.
    const newer = JSON.stringify(['solved', 'https://index.example/simple', 'future', '1.0.0', 'solver-rhel-8-py38']);
    await kcatProduce(topic, { key: newer, value: JSON.stringify({ v: 2, shape: 'unknown' }), partition: 0 });
    await kcatProduce(topic, { key: newer, value: '{"v":1,"error":', partition: 0 });
    await publishLines(dir, [solvedLine('req2', '1.0.0')], env);

    const fresh = join(dir, 'fresh.db');
    const first = await investigateUntilIdle(fresh, env);
    const warnings = first
      .stderr()
      .split('\n')
      .filter((l) => l.includes('skipped a knowledge record'));
    expect(warnings).toEqual([
      expect.stringMatching(
        new RegExp(
          `${topic}\\[0\\]@\\d+: skipped a knowledge record this thoth cannot read: it was written by a newer thoth \\(fact format v2`,
        ),
      ),
      expect.stringMatching(new RegExp(`${topic}\\[0\\]@\\d+: skipped a knowledge record this thoth cannot read: the value is not JSON`)),
    ]);
    expect((await knowledgeOf(fresh, env, ['req2']))['package req2']).toMatchObject({
      versions: [{ solvers: [{ solver: 'solver-rhel-8-py38' }] }],
    });
    // Restarted with its cache: it read past them, so it says nothing more.
    const again = await investigateUntilIdle(fresh, env, 1);
    expect(again.stderr()).not.toContain('skipped a knowledge record');
  });

  it('a restart with an empty cache ends where a restart with its cache ends', { timeout: 180_000 }, async () => {
    const versions = Array.from({ length: 20 }, (_, i) => `1.${i}.0`);
    const before = versions.flatMap((v, i) => [unresolvedLine('pkg', v, `adv-${i % 5}`)]);
    const after = versions.filter((_, i) => i % 5 !== 0).map((v) => solvedLine('pkg', v));
    const outcomes = [];
    for (const cache of ['kept', 'empty'] as const) {
      const env = kafkaEnv();
      await publishLines(dir, before, env, cache);
      await investigateUntilIdle(join(dir, `${cache}-1.db`), env);
      await publishLines(dir, after, env, cache);
      // The pod restarts: with the cache it had, or with an empty one (an emptyDir after rescheduling).
      const restarted = join(dir, cache === 'kept' ? `${cache}-1.db` : `${cache}-2.db`);
      await investigateUntilIdle(restarted, env, 5);
      outcomes.push({ reRuns: await reRunsOf(env.THOTH_DEPLOYMENT_NAME), knowledge: await knowledgeOf(restarted, env, ['pkg']) });
    }
    expect(outcomes[1]).toEqual(outcomes[0]);
    // adv-0 waits on versions never solved (every fifth): not re-run; the others are, once.
    expect(outcomes[0].reRuns).toEqual(['adv-1', 'adv-2', 'adv-3', 'adv-4']);
  });

  it(
    'is read without a consumer group: after two replicas read it, the broker lists no group of its reader',
    { timeout: 90_000 },
    async () => {
      const env = kafkaEnv();
      const before = new Set((await admin.listGroups()).groups.map((g) => g.groupId));
      await publishLines(dir, [unresolvedLine('req3', '1.0.0', 'adv-3')], env);
      await investigateUntilIdle(join(dir, 'a.db'), env, 1);
      // A replica with an empty cache reads what the first one learnt before it consumes.
      const second = await investigateUntilIdle(join(dir, 'b.db'), env, 1);
      const caughtUp = second.events.find((e) => e.event === 'knowledge' && e.state === 'caught-up');
      expect(caughtUp).toMatchObject({ facts: expect.any(Number) });
      expect(caughtUp?.facts).toBeGreaterThan(0);
      // The groups made since (the broker is shared with other tests): the investigators' own, none of a reader.
      const made = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => !before.has(g));
      expect(made).toContain(env.KAFKA_CONSUMER_GROUP_ID);
      expect(made.filter((g) => g.startsWith('thoth-changelog-'))).toEqual([]);
    },
  );
});
