/**
 * A Kafka broker of a test file's own, with TLS listeners signed by a
 * throwaway CA (test/support/tls.ts) and whatever else the file asks of
 * scripts/kafka.mjs (SCRAM users): started before the file's tests, stopped
 * and cleaned up after them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { startKafka, stopKafka } from '../../scripts/kafka.mjs';
import { readyTransactionCoordinator, thothAt } from './kafka.js';
import { makeTlsFiles, type TlsFiles } from './tls.js';

export interface OwnBroker<B> {
  readonly broker: B;
  readonly tls: TlsFiles;
  /** thoth configured for one of the broker's listeners (see thothAt in ./kafka.js). */
  readonly thothAt: (bootstrap: string, settings: NodeJS.ProcessEnv) => ReturnType<typeof thothAt>;
}

export function ownTlsBroker<B>(name: string, options: Record<string, unknown> = {}): OwnBroker<B> {
  let tls: TlsFiles | undefined;
  let broker: B | undefined;
  let work: string | undefined;
  beforeAll(async () => {
    tls = makeTlsFiles();
    work = mkdtempSync(join(tmpdir(), `thoth-kafka-${name}-`));
    broker = (await startKafka(process.env, {
      ...options,
      tls: { ca: tls.ca, certificate: tls.brokerCertificate, key: tls.brokerKey, keyPassword: tls.brokerKeyPassword },
      stopWithProcess: true,
    })) as B;
    // The files that read the broker's clock (thoth doctor) read it, not a new cluster's loading coordinator.
    await readyTransactionCoordinator((broker as { bootstrap: string }).bootstrap);
  }, 120_000);
  afterAll(async () => {
    if (broker) await stopKafka(broker);
    tls?.remove();
    if (work) rmSync(work, { recursive: true, force: true });
  }, 60_000);
  return {
    get broker() {
      return broker!;
    },
    get tls() {
      return tls!;
    },
    thothAt: (bootstrap, settings) => thothAt(bootstrap, settings, work!, name),
  };
}
