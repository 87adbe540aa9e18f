/**
 * Opens the KnowledgeTransport for the broker the settings chose: the Kafka
 * one (its own kafkajs client, loaded only when chosen) or the embedded log
 * in the cache file.
 */
import type { BrokerChoice } from '../config/broker.js';
import type { KafkaSettings } from '../config/kafka.js';
import type { Logger } from '../core/logger.js';
import type { Store } from '../store/index.js';
import type { KnowledgeTransport } from './knowledge-port.js';

export interface OpenKnowledgePorts {
  choice: BrokerChoice;
  kafka: (bootstrap: readonly string[]) => KafkaSettings;
  store: () => Promise<Store>;
  log: Logger;
}

export async function openKnowledgeTransport({ choice, kafka, store, log }: OpenKnowledgePorts): Promise<KnowledgeTransport> {
  if (choice.kind === 'kafka') {
    const { openKafkaKnowledge } = await import('./kafka/knowledge.js');
    return openKafkaKnowledge(kafka(choice.bootstrap), log);
  }
  const { openEmbeddedKnowledge } = await import('./embedded-knowledge.js');
  return openEmbeddedKnowledge(await store(), choice.path);
}
