/**
 * `thoth config get-contexts | current-context | use-context NAME | view`: the
 * named contexts of the configuration file (src/config/contexts.ts) and the
 * settings in effect, each with where it came from.
 */
import { Command } from '@commander-js/extra-typings';
import { writeCurrentContext } from '../config/contexts.js';
import { UserError } from '../core/errors.js';
import { write } from '../core/io.js';
import { presentContexts, presentEffective, type ContextRow, type ContextsFormat, type ViewFormat } from '../present/config.js';
import type { CommandDefinition } from './command.js';
import { chosenOutput, outputOption } from './output.js';

export type ConfigOptions =
  | { action: 'get-contexts'; output: ContextsFormat }
  | { action: 'current-context' }
  | { action: 'use-context'; name: string }
  | { action: 'view'; output: ViewFormat };

const DEFAULT_OUTPUT = { tty: 'table', piped: 'json' } as const;

const HELP = `
The configuration file is $XDG_CONFIG_HOME/thoth/config.yaml (else ~/.config/thoth/config.yaml;
THOTH_CONFIG names another). Each context holds what would otherwise be environment variables:

  current-context: staging
  contexts:
    laptop:
      broker: embedded
    staging:
      broker: kafka-staging.example:9093          # KAFKA_BOOTSTRAP_SERVERS
      deployment-name: staging                    # THOTH_DEPLOYMENT_NAME
      cache: ~/.thoth/staging.db                  # THOTH_DB (--db)
      index-urls: [https://index.example/simple]  # THOTH_INDEX_URLS
      solvers: [solver-rhel-8-py38]               # THOTH_SOLVERS
      kubeconfig: ~/.kube/staging                 # KUBECONFIG
      kube-context: staging-cluster               # THOTH_KUBE_CONTEXT (submit --context)
      namespaces: { middletier: thoth-middletier, backend: thoth-backend }
      kafka:
        security-protocol: SASL_SSL               # KAFKA_SECURITY_PROTOCOL
        sasl-mechanism: SCRAM-SHA-512
        sasl-username: thoth
        sasl-password: { env: STAGING_KAFKA_PASSWORD }   # or { file: ~/.secrets/kafka }
        ssl-ca-location: /etc/pki/staging-ca.pem
        ssl-key-password: { file: ~/.secrets/key-pass }

Secrets (sasl-password, ssl-key-password) are never written in the file: they name an
environment variable or a file. The context in use: --thoth-context NAME for one command,
else THOTH_CONTEXT, else current-context. A flag wins over the environment, which wins over
the context, which wins over the default; \`thoth config view\` shows which one gave each value.

Examples:
  $ thoth config get-contexts
  $ thoth config use-context staging
  $ thoth config current-context
  $ thoth config view
  $ thoth --thoth-context laptop config view -o json`;

export const configCommand: CommandDefinition<ConfigOptions> = {
  declare: (parse, done) =>
    new Command('config')
      .usage('<action> [options]')
      .addHelpText('after', HELP)
      .addCommand(
        new Command('get-contexts')
          .description('list the contexts of the configuration file; * marks the current one')
          .addOption(outputOption(['table', 'wide', 'json', 'yaml', 'name'] as const, DEFAULT_OUTPUT))
          .action((o) => done({ action: 'get-contexts', output: chosenOutput(o.output, DEFAULT_OUTPUT, parse.isTTY) })),
      )
      .addCommand(
        new Command('current-context')
          .description('print the name of the context in use')
          .action(() => done({ action: 'current-context' })),
      )
      .addCommand(
        new Command('use-context')
          .description("make NAME the file's current-context")
          .argument('<name>', 'a context of the configuration file')
          .action((name) => done({ action: 'use-context', name })),
      )
      .addCommand(
        new Command('view')
          .description('each setting in effect, with where it came from (flag, environment, context, default); secrets masked')
          .addOption(outputOption(['table', 'wide', 'json', 'yaml'] as const, DEFAULT_OUTPUT))
          .action((o) => done({ action: 'view', output: chosenOutput(o.output, DEFAULT_OUTPUT, parse.isTTY) })),
      ),

  async run(options, { io, settings, log }) {
    const file = settings.configFile;
    const width = io.stdout.isTTY ? io.stdout.columns : undefined;
    switch (options.action) {
      case 'get-contexts': {
        if (!file.exists) log.notice(`no configuration file at ${file.path}: see thoth config --help`);
        const rows: ContextRow[] = Object.entries(file.contexts).map(([name, c]) => ({
          current: name === settings.context?.name,
          name,
          broker: typeof c.broker === 'string' ? c.broker : null,
          deployment_name: typeof c['deployment-name'] === 'string' ? c['deployment-name'] : null,
          kube_context: typeof c['kube-context'] === 'string' ? c['kube-context'] : null,
        }));
        await write(io.stdout, await presentContexts(rows, options.output, width));
        return;
      }
      case 'current-context':
        if (!settings.context)
          throw new UserError(
            `no context is in use (${file.exists ? `${file.path} has no current-context` : `no configuration file at ${file.path}`})`,
            'thoth config use-context NAME sets one; thoth config --help shows the file',
          );
        await write(io.stdout, `${settings.context.name}\n`);
        return;
      case 'use-context':
        writeCurrentContext(file, options.name);
        log.notice(`switched to context "${options.name}" (${file.path})`);
        return;
      case 'view':
        await write(io.stdout, await presentEffective(settings.effective, options.output, width));
        return;
    }
  },
};
