/**
 * `thoth cache sync [--follow] | rebuild | check`: the local knowledge cache against
 * a deployment's knowledge topic (SPEC §5.1, §6). sync fills this cache from
 * the topic the investigator replicas write, so `thoth query` on a laptop
 * answers for the whole deployment, and says how fresh it is; rebuild writes
 * this cache's facts to the topic (a topic lost, or created after the cache);
 * check runs SQLite's PRAGMA integrity_check over the file (read-only): exit 0
 * when it is sound, 1 when SQLite found damage.
 */
import { Command } from '@commander-js/extra-typings';
import { UserError } from '../core/errors.js';
import { write } from '../core/io.js';
import { presentFreshness, presentIntegrity, presentRebuilt, type CacheFormat } from '../present/cache.js';
import { knowledgeTopicOf, rebuildTopic, syncCache } from '../services/cache.js';
import { checkIntegrity } from '../store/index.js';
import type { CommandDefinition } from './command.js';
import { chosenOutput, outputOption } from './output.js';

const FORMATS = ['table', 'json', 'yaml'] as const;

export type CacheOptions =
  | { action: 'sync'; follow: boolean; format: CacheFormat }
  | { action: 'rebuild'; format: CacheFormat }
  | { action: 'check'; format: CacheFormat };

const HELP = `
The knowledge topic is <deployment>.thoth.investigator.knowledge (THOTH_DEPLOYMENT_NAME,
--deployment-name), on the broker of KAFKA_BOOTSTRAP_SERVERS or --broker. Every
investigator replica reads it whole before it consumes; sync does the same for this
cache (--db, THOTH_HOME), from where it stopped last time.

Examples:
  $ THOTH_DEPLOYMENT_NAME=prod thoth cache sync && thoth query package requests
  $ thoth cache sync --follow          # keep reading; Ctrl-C to stop
  $ thoth cache rebuild -o json        # the topic was lost: write this cache's facts back
  $ thoth cache check                  # SQLite's integrity check; exit 1 when the file is damaged

A damaged cache: move it aside and run \`thoth cache sync\` (the knowledge topic holds it all),
or restore it from a backup; \`thoth query\` still reads the tables that are intact.`;

export const cacheCommand: CommandDefinition<CacheOptions> = {
  declare: (parse, done) => {
    const format = (o: { output?: CacheFormat }) => chosenOutput(o.output, { tty: 'table', piped: 'json' }, parse.isTTY);
    return new Command('cache')
      .description("The local knowledge cache and the deployment's knowledge topic")
      .usage('<sync|rebuild|check> [options]')
      .addHelpText('after', HELP)
      .addCommand(
        new Command('sync')
          .description('read the knowledge topic into this cache and say how fresh it is')
          .option('--follow', 'keep reading until Ctrl-C, telling how fresh it is after each catch-up')
          .addOption(outputOption(FORMATS, { tty: 'table', piped: 'json' }))
          .action((o) => done({ action: 'sync', follow: Boolean(o.follow), format: format(o) })),
      )
      .addCommand(
        new Command('rebuild')
          .description("write this cache's facts to the knowledge topic (created compacted when missing)")
          .addOption(outputOption(FORMATS, { tty: 'table', piped: 'json' }))
          .action((o) => done({ action: 'rebuild', format: format(o) })),
      )
      .addCommand(
        new Command('check')
          .description("run SQLite's integrity check over the whole cache file (read-only); exit 1 when damaged")
          .addOption(outputOption(FORMATS, { tty: 'table', piped: 'json' }))
          .action((o) => done({ action: 'check', format: o.output ?? 'table' })),
      );
  },

  async run(options, context) {
    const { io, log, settings } = context;
    if (options.action === 'check') {
      // A long check on a large file: Ctrl-C still ends it.
      const report = context.blocking(() => checkIntegrity(settings.cachePath));
      await write(io.stdout, await presentIntegrity(report, options.format));
      return report.ok ? 'ok' : 'failure';
    }
    const store = await context.store({ create: true });
    const transport = await context.knowledge();
    const ports = { transport, store, deploymentName: settings.deploymentName, now: context.clock.now, warn: log.warn };
    const topic = knowledgeTopicOf(settings.deploymentName);
    if (options.action === 'rebuild') {
      const rebuilt = await rebuildTopic(ports);
      await write(io.stdout, await presentRebuilt(rebuilt, options.format));
      return;
    }
    if (!(await transport.topicExists(topic)))
      throw new UserError(
        `there is no knowledge topic ${topic} on ${transport.address}`,
        'check THOTH_DEPLOYMENT_NAME (or --deployment-name) and the broker; an investigator creates it when it starts',
      );
    log.notice(`reading ${topic} into ${store.path}${options.follow ? ' (Ctrl-C to stop)' : ''}`);
    const fresh = await syncCache(ports, {
      follow: options.follow,
      signal: context.signal,
      onCaughtUp: (f) => {
        if (options.follow) log.notice(`caught up: ${f.facts} fact(s), newest learnt ${f.newest_fact_at ?? 'never'}`);
      },
    });
    await write(io.stdout, await presentFreshness(fresh, options.format, context.clock.now()));
    return context.signal.aborted && !options.follow ? 'interrupted' : 'ok';
  },
};
