/**
 * Opens the broker the settings chose (src/config/broker.ts): the Kafka
 * adapter or the embedded log, each loaded only when chosen, so commands
 * that never touch Kafka never pay for kafkajs. One line on stderr says
 * which: always for Kafka; for the embedded broker (the default on one
 * machine, where the line is noise in scripts) only to a person at a
 * terminal, or with --verbose.
 */
import type { BrokerChoice } from '../config/broker.js';
import type { KafkaSettings } from '../config/kafka.js';
import type { Logger } from '../core/logger.js';
import type { LockWait, Store } from '../store/index.js';
import type { Broker } from './port.js';

export interface OpenBrokerPorts {
  choice: BrokerChoice;
  /** The Kafka client settings for the bootstrap servers (read only when Kafka is chosen). */
  kafka: (bootstrap: readonly string[]) => KafkaSettings;
  /** The cache file that holds the embedded broker's log (opened only when it is chosen). */
  store: () => Promise<Store>;
  log: Logger;
  /** KAFKA_MESSAGE_MAX_BYTES: the embedded broker refuses larger records, as Kafka does. */
  maxMessageBytes?: number;
  /** How the embedded broker's sends wait for a cache another process holds locked (THOTH_CACHE_WAIT). */
  lockWait?: LockWait;
  /** stderr is a terminal: the embedded broker is announced there, else only with --verbose. */
  announce: boolean;
}

export async function openBroker({ choice, kafka, store, log, announce, maxMessageBytes, lockWait }: OpenBrokerPorts): Promise<Broker> {
  if (choice.kind === 'kafka') {
    const { openKafka } = await import('./kafka/client.js');
    const broker = await openKafka(kafka(choice.bootstrap), log);
    log.notice(`broker: Kafka at ${broker.address}`);
    return broker;
  }
  const { openEmbeddedBroker } = await import('./embedded.js');
  const broker = openEmbeddedBroker(await store(), choice.path, { maxMessageBytes, lockWait });
  const line = `broker: embedded (${choice.path}); set KAFKA_BOOTSTRAP_SERVERS or --broker kafka://host:port for Kafka`;
  if (announce) log.notice(line);
  else log.debug(line);
  return broker;
}
