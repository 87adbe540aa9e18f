/**
 * `thoth doctor`: is everything the loop needs in place? One line per check
 * (src/services/doctor.ts), ✔ or ✘ with the fix; checks for something that is
 * not configured (no cluster) are a neutral line. Exit 1 when any check fails.
 */
import { existsSync } from 'node:fs';
import { Command } from '@commander-js/extra-typings';
import { UserError } from '../core/errors.js';
import { write } from '../core/io.js';
import { findKubeconfig } from '../kube/kubeconfig-source.js';
import { presentDoctor, type DoctorFormat } from '../present/doctor.js';
import { runDoctor } from '../services/doctor.js';
import { SCHEMA_VERSION } from '../store/index.js';
import type { CommandDefinition } from './command.js';
import { DEFAULT_GROUP } from './investigate.js';
import { chosenOutput, outputOption } from './output.js';
import { catalogueTopics } from './topics.js';

const FORMATS = ['table', 'json', 'yaml'] as const;

export interface DoctorOptions {
  output: DoctorFormat;
  kubeconfig?: string;
  context?: string;
}

export const doctorCommand: CommandDefinition<DoctorOptions> = {
  declare: (parse, done) =>
    new Command('doctor')
      .option('--kubeconfig <path>', 'kubeconfig file (default: KUBECONFIG, ~/.kube/config, in-cluster)')
      .option('--context <name>', 'kubeconfig context')
      .addOption(outputOption(FORMATS, { tty: 'table', piped: 'json' }))
      .addHelpText(
        'after',
        `
Checks, in order: the broker (reachable; on Kafka its cluster id, brokers and controller), the
catalogue's topics (present, partitions, compression), the investigator group's lag
(KAFKA_CONSUMER_GROUP_ID, default ${DEFAULT_GROUP}), this machine's clock against the broker's
(the start time the transaction coordinator stamps on a transaction the doctor begins and aborts;
Kafka 3.0+, WRITE on TransactionalId:<group>. and READ on Group:<group>; ✘ beyond 5 s), the
cache (schema version, PRAGMA quick_check), the registered package indexes, and with a cluster
configured: the kube context (API server version), Argo's CRDs, the RBAC verbs the investigator
needs on workflows (create, get, list; SelfSubjectAccessReview in each configured namespace)
and this machine's clock against the API server's. Without a cluster those are a neutral – line,
not a failure. Exit 1 when any check fails.

Examples:
  $ thoth doctor
  $ KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:9092 thoth doctor -o json | jq '.checks[] | select(.status == "fail")'`,
      )
      .action((o) =>
        done({
          output: chosenOutput(o.output, { tty: 'table', piped: 'json' }, parse.isTTY),
          ...(o.kubeconfig !== undefined ? { kubeconfig: o.kubeconfig } : {}),
          ...(o.context !== undefined ? { context: o.context } : {}),
        }),
      ),

  async run(options, context) {
    const { settings } = context;
    const checks = await runDoctor({
      broker: () => context.broker(),
      store: async () => (existsSync(settings.cachePath) ? context.store({ readonly: true }) : null),
      cachePath: settings.cachePath,
      kube: async () => {
        try {
          findKubeconfig({ ...settings.kube, ...(options.kubeconfig ? { kubeconfig: options.kubeconfig } : {}) });
        } catch (error) {
          if (error instanceof UserError && error.message.startsWith('no Kubernetes cluster is configured'))
            return { none: `${error.message}; workflows are recorded in the ledger` };
          throw error;
        }
        return { kube: await context.kube({ kubeconfig: options.kubeconfig, context: options.context }) };
      },
      topics: catalogueTopics(settings.deploymentName).map((t) => t.topic),
      group: settings.consumerGroup || DEFAULT_GROUP,
      indexUrls: settings.indexUrls,
      namespaces: [...new Set([settings.namespaces.middletier, settings.namespaces.backend].filter((n): n is string => Boolean(n)))],
      schemaVersion: SCHEMA_VERSION,
      now: () => context.clock.now(),
    });
    await write(
      context.io.stdout,
      await presentDoctor(checks, options.output, { color: settings.color && Boolean(context.io.stdout.isTTY) }),
    );
    return checks.some((c) => c.status === 'fail') ? 'failure' : 'ok';
  },
};
