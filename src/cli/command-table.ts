/**
 * Every subcommand in one table. Modules load only when their command runs
 * (or its help is asked for), so `thoth --help` stays cheap.
 */
import { runnable, type RunnableCommand } from '../commands/command.js';

export interface CommandEntry {
  name: string;
  summary: string;
  load: () => Promise<RunnableCommand>;
  /**
   * Prints its answer once, when it is done (no stream of lines, no terminal UI): its stdout, when a
   * pipe or a file, is written straight to the file descriptor (process-io.ts, directStdout).
   */
  printsOnce?: boolean;
}

export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'publish',
    summary: 'Validate and publish a typed message',
    load: async () => runnable((await import('../commands/publish.js')).publishCommand),
  },
  {
    name: 'tail',
    summary: 'Follow topics, decoding and validating every message',
    load: async () => runnable((await import('../commands/tail.js')).tailCommand),
  },
  {
    name: 'replay',
    summary: 'Publish a recorded NDJSON stream (thoth tail -o ndjson or kcat -J lines)',
    load: async () => runnable((await import('../commands/replay.js')).replayCommand),
  },
  {
    name: 'investigate',
    summary: 'Run the investigator in the foreground',
    load: async () => runnable((await import('../commands/investigate.js')).investigateCommand),
  },
  {
    name: 'submit',
    summary: 'Submit an Argo Workflow straight to Kubernetes',
    load: async () => runnable((await import('../commands/submit.js')).submitCommand),
  },
  {
    name: 'query',
    summary: 'Ask the local knowledge cache what is known',
    load: async () => runnable((await import('../commands/query.js')).queryCommand),
    printsOnce: true,
  },
  {
    name: 'cache',
    summary: "Sync the local cache from the deployment's knowledge topic, rebuild the topic from it, check its integrity",
    load: async () => runnable((await import('../commands/cache.js')).cacheCommand),
  },
  {
    name: 'doctor',
    summary: 'Check the broker, topics, lag, clocks, cache, indexes, cluster, Argo and RBAC',
    load: async () => runnable((await import('../commands/doctor.js')).doctorCommand),
  },
  {
    name: 'trace',
    summary: "A package version's story: messages, decisions, workflows, knowledge, advice, dead letters",
    load: async () => runnable((await import('../commands/trace.js')).traceCommand),
  },
  {
    name: 'dead-letters',
    summary: 'List, inspect and re-drive the messages the investigator could not process',
    load: async () => runnable((await import('../commands/dead-letters.js')).deadLettersCommand),
  },
  {
    name: 'topics',
    summary: 'List or create the topics of the message catalogue',
    load: async () => runnable((await import('../commands/topics.js')).topicsCommand),
  },
  {
    name: 'groups',
    summary: 'List and describe consumer groups, reset their offsets',
    load: async () => runnable((await import('../commands/groups.js')).groupsCommand),
  },
  {
    name: 'config',
    summary: 'Named contexts (brokers, deployment, indexes, cluster) and the settings in effect',
    load: async () => runnable((await import('../commands/config.js')).configCommand),
    printsOnce: true,
  },
  {
    name: 'completion',
    summary: 'Print a shell completion script (bash, zsh, fish)',
    load: async () => runnable((await import('../commands/completion.js')).completionCommand),
    printsOnce: true,
  },
  {
    name: 'schema',
    summary: 'Print the JSON Schema of a message type',
    load: async () => runnable((await import('../commands/schema.js')).schemaCommand),
    printsOnce: true,
  },
];
