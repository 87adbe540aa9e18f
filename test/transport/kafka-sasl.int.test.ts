/**
 * SASL settings against a real broker: this file starts its own broker with a
 * SASL_PLAINTEXT listener (scripts/kafka.mjs), because the shared test broker
 * speaks plaintext only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import type { Logger } from '../../src/core/logger.js';
import { readKafkaSettings } from '../../src/config/kafka.js';
import { openKafka } from '../../src/transport/kafka/client.js';
import type { ConsumedRecord } from '../../src/transport/port.js';
import { readyTransactionCoordinator, uniqueTopic } from '../support/kafka.js';
import { KAFKA_VERSION, startKafka, stopKafka } from '../../scripts/kafka.mjs';

interface StartedBroker {
  bootstrap: string;
  saslBootstrap: string;
}

const quiet: Logger = { notice: () => {}, warn: () => {}, debug: () => {} };
let broker: StartedBroker | undefined;

beforeAll(async () => {
  broker = (await startKafka(process.env, { saslUsers: { thoth: 'thoth-secret' }, stopWithProcess: true })) as StartedBroker;
  await readyTransactionCoordinator(broker.bootstrap);
}, 180_000);
afterAll(async () => {
  if (broker) await stopKafka(broker);
}, 60_000);

const saslEnv = (password: string) => ({
  KAFKA_SECURITY_PROTOCOL: 'SASL_PLAINTEXT',
  KAFKA_SASL_MECHANISM: 'PLAIN',
  KAFKA_SASL_USERNAME: 'thoth',
  KAFKA_SASL_PASSWORD: password,
});

describe('Kafka transport with SASL PLAIN', () => {
  it('logs in with KAFKA_SASL_* and sends and reads records', async () => {
    const kafka = await openKafka(readKafkaSettings([broker!.saslBootstrap], saslEnv('thoth-secret')), quiet);
    try {
      expect(kafka.address).toBe(`kafka://${broker!.saslBootstrap}`);
      // ApiVersions is answered before authentication: the release needs no credentials of its own.
      expect((await kafka.cluster!()).release).toBe(`Kafka ${KAFKA_VERSION.split('.').slice(0, 2).join('.')}`);
      const topic = uniqueTopic('sasl');
      await kafka.createTopics([topic], { partitions: 1, replicationFactor: 1 });
      await kafka.send([{ topic, key: 'k', headers: { h: 'v' }, value: '{"sasl":true}' }]);
      const records: ConsumedRecord[] = [];
      const consumption = kafka.consume(
        { topics: [topic], start: { from: 'earliest' }, exitAtEnd: true, signal: new AbortController().signal },
        async (r) => {
          records.push(r);
        },
      );
      expect(await consumption.done).toEqual({ records: 1, reason: 'end' });
      expect(records[0]).toMatchObject({ key: 'k', headers: { h: 'v' }, value: '{"sasl":true}' });
    } finally {
      await kafka.close();
    }
  });

  it("reads the transaction coordinator's clock on a connection of its own, logged in with PLAIN", async () => {
    const kafka = await openKafka(readKafkaSettings([broker!.saslBootstrap], saslEnv('thoth-secret')), quiet);
    try {
      const reading = await kafka.clock!({ group: 'thoth-test.sasl-clock', now: Date.now });
      expect(reading).toMatchObject({
        coordinator: broker!.saslBootstrap,
        transactionalId: expect.stringMatching(/^thoth-test\.sasl-clock\.doctor\./),
      });
      if (!('aheadMs' in reading)) throw new Error(reading.unavailable);
      // One machine, one clock.
      expect(Math.abs(reading.aheadMs)).toBeLessThanOrEqual(reading.boundMs);
    } finally {
      await kafka.close();
    }
  });

  it('reports rejected credentials as a user error that names the user but not the password', async () => {
    const error = await openKafka(readKafkaSettings([broker!.saslBootstrap], saslEnv('wrong-password-123')), quiet).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toBe(`Kafka at ${broker!.saslBootstrap} rejected the SASL credentials of user "thoth" (plain)`);
    expect(`${(error as UserError).message} ${(error as UserError).hint}`).not.toContain('wrong-password-123');
  });
});
