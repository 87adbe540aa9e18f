/**
 * `thoth doctor`'s broker clock under ACLs: this file starts its own broker
 * (scripts/kafka.mjs) that enforces them, with a SASL PLAIN user who has
 * none to begin with. Without the ACLs the check needs its line is neutral
 * and names them; with them it reads the clock. Readers without a group
 * (tail, the knowledge changelog) need READ and DESCRIBE on their topic only.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKafka, stopKafka } from '../../scripts/kafka.mjs';
import { readKafkaSettings } from '../../src/config/kafka.js';
import { nullLogger } from '../../src/core/logger.js';
import { openKafkaKnowledge } from '../../src/transport/kafka/knowledge.js';
import { compactedTopic, endOffsets, expectEndOffsets, follow, groupIds, transactionsOn } from '../support/changelog.js';
import { readyTransactionCoordinator, thothAt, uniqueTopic } from '../support/kafka.js';
import { expectBrokerClock } from '../support/clock.js';
import { createTopicsWithLeaders } from '../../src/transport/kafka/client.js';

interface StartedBroker {
  bootstrap: string;
  saslBootstrap: string;
}

const USER = 'clerk';
const PASSWORD = 'clerk-Secret-42';
const GROUP = 'thoth.investigator';
let broker: StartedBroker | undefined;
let work: string | undefined;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'thoth-kafka-acl-'));
  broker = (await startKafka(process.env, { saslUsers: { [USER]: PASSWORD }, authorizer: true, stopWithProcess: true })) as StartedBroker;
  await readyTransactionCoordinator(broker.bootstrap);
}, 180_000);
afterAll(async () => {
  if (broker) await stopKafka(broker);
  if (work) rmSync(work, { recursive: true, force: true });
}, 60_000);

/** Grants the user one ACL, as the super user of the plaintext listener. */
async function grant(
  resourceType: kafkajs.AclResourceTypes,
  resourceName: string,
  pattern: kafkajs.ResourcePatternTypes,
  operation: kafkajs.AclOperationTypes,
) {
  const admin = new kafkajs.Kafka({ brokers: [broker!.bootstrap], logLevel: kafkajs.logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.createAcls({
      acl: [
        {
          resourceType,
          resourceName,
          resourcePatternType: pattern,
          principal: `User:${USER}`,
          host: '*',
          operation,
          permissionType: kafkajs.AclPermissionTypes.ALLOW,
        },
      ],
    });
  } finally {
    await admin.disconnect();
  }
}

async function brokerClockLine() {
  const thoth = thothAt(
    broker!.saslBootstrap,
    { KAFKA_SECURITY_PROTOCOL: 'SASL_PLAINTEXT', KAFKA_SASL_MECHANISM: 'PLAIN', KAFKA_SASL_USERNAME: USER, KAFKA_SASL_PASSWORD: PASSWORD },
    work!,
    'acl',
  );
  const run = await thoth.run(['doctor', '-o', 'json']);
  expect(`${run.stdout}${run.stderr}`).not.toContain(PASSWORD);
  return (JSON.parse(run.stdout) as { checks: Array<{ name: string; status: string; detail: string }> }).checks.find(
    (c) => c.name === 'broker clock',
  )!;
}

const NEEDS = `cannot ask the broker's clock: not authorised: the doctor needs WRITE on TransactionalId:${GROUP}. (prefixed, as the investigator) and READ on Group:${GROUP}`;

describe('the broker clock under ACLs', () => {
  it('is a neutral line naming the ACLs while they are missing, and reads the clock once granted', async () => {
    // Nothing granted: the coordinator will not even be looked up for the transactional id.
    expect(await brokerClockLine()).toEqual({ name: 'broker clock', status: 'skip', detail: NEEDS });

    // The transactional ids, but not the group: the transaction cannot take the group's offsets.
    await grant(
      kafkajs.AclResourceTypes.TRANSACTIONAL_ID,
      `${GROUP}.`,
      kafkajs.ResourcePatternTypes.PREFIXED,
      kafkajs.AclOperationTypes.WRITE,
    );
    expect(await brokerClockLine()).toEqual({ name: 'broker clock', status: 'skip', detail: NEEDS });

    await grant(kafkajs.AclResourceTypes.GROUP, GROUP, kafkajs.ResourcePatternTypes.LITERAL, kafkajs.AclOperationTypes.READ);
    const line = await brokerClockLine();
    expect(line).toMatchObject({ status: 'ok' });
    expectBrokerClock(line.detail);
  });
});

describe('tail under ACLs', () => {
  it('reads a topic with READ and DESCRIBE on it alone, as kcat -C does: no group ACL', async () => {
    const topic = uniqueTopic('acl-tail');
    const kafka = new kafkajs.Kafka({ brokers: [broker!.bootstrap], logLevel: kafkajs.logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    const producer = kafka.producer({ createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
    await producer.connect();
    try {
      await createTopicsWithLeaders(admin, [{ topic, numPartitions: 2 }]);
      await producer.send({
        topic,
        messages: [
          { partition: 0, value: '{"a":1}' },
          { partition: 1, value: '{"b":2}' },
        ],
      });
    } finally {
      await producer.disconnect();
      await admin.disconnect();
    }
    await grant(kafkajs.AclResourceTypes.TOPIC, topic, kafkajs.ResourcePatternTypes.LITERAL, kafkajs.AclOperationTypes.DESCRIBE);
    await grant(kafkajs.AclResourceTypes.TOPIC, topic, kafkajs.ResourcePatternTypes.LITERAL, kafkajs.AclOperationTypes.READ);
    const thoth = thothAt(
      broker!.saslBootstrap,
      {
        KAFKA_SECURITY_PROTOCOL: 'SASL_PLAINTEXT',
        KAFKA_SASL_MECHANISM: 'PLAIN',
        KAFKA_SASL_USERNAME: USER,
        KAFKA_SASL_PASSWORD: PASSWORD,
      },
      work!,
      'acl',
    );
    const tailed = await thoth.run(['tail', topic, '--exit-at-end', '-o', 'ndjson']);
    expect(tailed.stderr).not.toContain('not authorised');
    expect(tailed.code).toBe(0);
    const values = tailed.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => (JSON.parse(line) as { value: unknown }).value);
    expect(values).toEqual(expect.arrayContaining([{ a: 1 }, { b: 2 }]));
    expect(values).toHaveLength(2);
  });
});

describe('the knowledge changelog under ACLs', () => {
  it(
    'is followed with READ and DESCRIBE on the topic alone: committed records, no aborted ones, markers moving it to the end',
    { timeout: 60_000 },
    async () => {
      const topic = uniqueTopic('acl-knowledge');
      await compactedTopic(broker!.bootstrap, topic, 2);
      const tx = await transactionsOn(broker!.bootstrap, topic);
      await grant(kafkajs.AclResourceTypes.TOPIC, topic, kafkajs.ResourcePatternTypes.LITERAL, kafkajs.AclOperationTypes.DESCRIBE);
      await grant(kafkajs.AclResourceTypes.TOPIC, topic, kafkajs.ResourcePatternTypes.LITERAL, kafkajs.AclOperationTypes.READ);
      const transport = await openKafkaKnowledge(
        readKafkaSettings([broker!.saslBootstrap], {
          KAFKA_SECURITY_PROTOCOL: 'SASL_PLAINTEXT',
          KAFKA_SASL_MECHANISM: 'PLAIN',
          KAFKA_SASL_USERNAME: USER,
          KAFKA_SASL_PASSWORD: PASSWORD,
        }),
        nullLogger,
      );
      try {
        await tx.write(
          [
            { partition: 0, value: 'fact-1' },
            { partition: 1, value: 'fact-2' },
          ],
          'commit',
        );
        await tx.write([{ partition: 0, value: 'aborted-1' }], 'abort');
        const groupsBefore = new Set(await groupIds(broker!.bootstrap));
        const followed = follow(transport, topic);
        // The transport's own end offsets, read as this principal, as the knowledge sync asks them.
        const ends = await expectEndOffsets(
          () => transport.endOffsets(topic),
          [
            [0, 4],
            [1, 2],
          ],
        );
        await followed.reach(ends);
        expect(followed.values(0)).toEqual(['fact-1']);
        expect(followed.values(1)).toEqual(['fact-2']);
        expect(followed.positions).toEqual(ends);

        // Followed on: a committed fact arrives, an aborted transaction only moves the position.
        await tx.write([{ partition: 1, value: 'fact-3' }], 'commit');
        await tx.write([{ partition: 0, value: 'aborted-2' }], 'abort');
        const later = await expectEndOffsets(
          () => endOffsets(broker!.bootstrap, topic),
          [
            [0, 6],
            [1, 4],
          ],
        );
        await followed.reach(later);
        await followed.stop();
        expect(followed.values(0)).toEqual(['fact-1']);
        expect(followed.values(1)).toEqual(['fact-2', 'fact-3']);
        expect(followed.positions).toEqual(later);
        expect((await groupIds(broker!.bootstrap)).filter((g) => !groupsBefore.has(g) && g.startsWith('thoth-changelog-'))).toEqual([]);
      } finally {
        await tx.close();
        await transport.close();
      }
    },
  );
});
