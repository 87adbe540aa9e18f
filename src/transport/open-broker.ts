/**
 * Opens the broker the settings chose (src/config/broker.ts): the Kafka
 * adapter or the embedded log, each loaded only when chosen, so commands
 * that never touch Kafka never pay for kafkajs. One notice on stderr says
 * which.
 */
import type { BrokerChoice } from '../config/broker.js';
import type { KafkaSettings } from '../config/kafka.js';
import type { Logger } from '../core/logger.js';
import type { Store } from '../store/index.js';
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
}

export async function openBroker({ choice, kafka, store, log, maxMessageBytes }: OpenBrokerPorts): Promise<Broker> {
  if (choice.kind === 'kafka') {
    const { openKafka } = await import('./kafka/client.js');
    const broker = await openKafka(kafka(choice.bootstrap), log);
    log.notice(`broker: Kafka at ${broker.address}`);
    return broker;
  }
  const { openEmbeddedBroker } = await import('./embedded.js');
  const broker = openEmbeddedBroker(await store(), choice.path, { maxMessageBytes });
  log.notice(`broker: embedded (${choice.path}); set KAFKA_BOOTSTRAP_SERVERS or --broker kafka://host:port for Kafka`);
  return broker;
}
