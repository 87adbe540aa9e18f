/**
 * The dispatch core: parse the command line, load only the invoked
 * subcommand, run it with one dependency object, and map what it returns or
 * throws to an exit code. SIGINT/SIGTERM become an AbortSignal.
 */
import { Command, CommanderError, Option } from 'commander';
import { COMMANDS } from '../commands/index.js';
import type { Invocation } from '../commands/types.js';
import { createDeps, type GlobalOptions } from './deps.js';
import { CancelledError, EXIT, UsageError, UserError, isAbortError } from './errors.js';
import { processIo, type Io } from './io.js';
import { stderrLogger } from './log.js';
import { nearest } from './suggest.js';
import { thothVersion } from './version.js';

export { thothVersion };

export interface MainInit {
  env?: NodeJS.ProcessEnv;
  io?: Io;
  /** Aborted by the caller (bin/thoth.ts wires SIGINT/SIGTERM to it). */
  signal?: AbortSignal;
}

const GLOBAL_OPTIONS_WITH_VALUES = new Set(['-o', '--output', '--broker', '--db', '--deployment-name']);


/** The subcommand named on the command line, skipping global options and their values. */
function invokedCommandName(args: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') return undefined;
    if (GLOBAL_OPTIONS_WITH_VALUES.has(arg)) {
      i++;
      continue;
    }
    if (arg.startsWith('-')) continue;
    if (arg === 'help') return args[i + 1];
    return arg;
  }
  return undefined;
}

/** Values of secret environment variables, so that no error text can carry them. */
function secretValues(env: NodeJS.ProcessEnv): string[] {
  return Object.entries(env)
    .filter(([name, value]) => /PASSWORD|SECRET|TOKEN/i.test(name) && value && value.length >= 4)
    .map(([, value]) => value!);
}

export function redact(text: string, secrets: string[]): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join('***');
  return out;
}

export async function main(argv: string[], init: MainInit = {}): Promise<number> {
  const env = init.env ?? process.env;
  const io = init.io ?? processIo();
  const signal = init.signal ?? new AbortController().signal;
  const args = argv.slice(2);
  const secrets = secretValues(env);
  const fail = (text: string) => io.stderr.write(redact(text, secrets));

  const program = new Command('thoth')
    .description("Publish, tail, replay and investigate Project Thoth's continuous-learning messages")
    .version(thothVersion(), '--version', 'print the version')
    .addOption(new Option('--broker <url>', 'kafka://host:port,... or "embedded" (default: KAFKA_BOOTSTRAP_SERVERS, else embedded)'))
    .addOption(new Option('--db <path>', 'knowledge cache file (default: $THOTH_HOME/thoth.db or ~/.thoth/thoth.db)'))
    .addOption(new Option('--deployment-name <name>', 'topic prefix (default: THOTH_DEPLOYMENT_NAME)'))
    .addOption(new Option('-o, --output <format>', "output format, for the commands that have one (see each command's -o)"))
    .option('-q, --quiet', 'print only results')
    .option('-v, --verbose', 'print debugging detail on stderr')
    .option('--no-color', 'no colours (also NO_COLOR)')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => fail(text),
    })
    .addHelpText(
      'after',
      `
Examples:
  $ thoth publish unresolved-package requests==2.25.1 --index-url https://index.example/simple
  $ thoth tail solved-package --from-beginning
  $ thoth replay fixtures/streams/continuous-learning.ndjson
  $ thoth investigate --from fixtures/streams/continuous-learning.ndjson
  $ thoth submit solver requests==2.25.1 --namespace thoth --dry-run client
  $ thoth query package requests

Broker: Kafka when --broker kafka://... or KAFKA_BOOTSTRAP_SERVERS is set, otherwise the
embedded broker (topics kept in the local SQLite file). Exit codes: 0 ok, 1 failure,
2 usage error, 130 interrupted.`,
    );

  let invocation: { name: string; value: Invocation } | undefined;
  const wanted = invokedCommandName(args);
  for (const entry of COMMANDS) {
    const command = program.command(entry.name).description(entry.summary);
    if (entry.name !== wanted) continue;
    const module = await entry.load();
    module.configure(command);
    command.exitOverride().configureOutput({ writeOut: (t) => io.stdout.write(t), writeErr: (t) => fail(t) });
    command.action((...actionArgs: unknown[]) => {
      const cmd = actionArgs[actionArgs.length - 1] as Command;
      const options = actionArgs[actionArgs.length - 2] as Record<string, unknown>;
      invocation = { name: entry.name, value: { operands: actionArgs.slice(0, -2), options, command: cmd } };
    });
  }
  if (wanted && !COMMANDS.some((c) => c.name === wanted) && !wanted.startsWith('-')) {
    const suggestion = nearest(wanted, COMMANDS.map((c) => c.name));
    fail(`error: unknown command '${wanted}'${suggestion ? ` (did you mean '${suggestion}'?)` : ''}\n`);
    fail(`Commands: ${COMMANDS.map((c) => c.name).join(', ')}. See 'thoth --help'.\n`);
    return EXIT.usage;
  }

  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return EXIT.ok;
      return EXIT.usage;
    }
    throw error;
  }
  if (!invocation) {
    program.outputHelp();
    return EXIT.ok;
  }

  const g = program.opts();
  // `-o` is global (SPEC §6): commander gives it to the program wherever it stands, so hand it on to the command's own -o.
  if (g.output !== undefined && invocation.value.options.output === undefined) {
    if (!invocation.value.command.options.some((o) => o.long === '--output') && invocation.name !== 'query') {
      fail(`error: thoth ${invocation.name} has no -o/--output option\nSee 'thoth ${invocation.name} --help'.\n`);
      return EXIT.usage;
    }
    invocation.value.options.output = g.output;
  }
  const globals: GlobalOptions = {
    broker: g.broker as string | undefined,
    db: g.db as string | undefined,
    deploymentName: g.deploymentName as string | undefined,
    quiet: Boolean(g.quiet),
    verbose: Boolean(g.verbose),
    color: g.color !== false && !env.NO_COLOR,
  };
  const log = stderrLogger(io, globals);
  const deps = createDeps({ env, io, signal, globals, log });
  const module = await COMMANDS.find((c) => c.name === invocation!.name)!.load();
  try {
    const code = await module.run(invocation.value, deps);
    return code ?? EXIT.ok;
  } catch (error) {
    return reportError(error, fail, invocation.name);
  } finally {
    try {
      await deps.close();
    } catch (error) {
      log.debug(`while closing: ${String(error)}`);
    }
  }
}

function reportError(error: unknown, fail: (text: string) => void, commandName: string): number {
  if (error instanceof UsageError) {
    fail(`error: ${error.message}\n${error.hint ? `hint: ${error.hint}\n` : ''}See 'thoth ${commandName} --help'.\n`);
    return EXIT.usage;
  }
  if (isAbortError(error)) {
    fail(`${error instanceof CancelledError ? error.message : 'interrupted'}\n`);
    return EXIT.interrupted;
  }
  if (error instanceof UserError) {
    fail(`error: ${error.message}\n${error.hint ? `hint: ${error.hint}\n` : ''}`);
    return EXIT.failure;
  }
  const stack = error instanceof Error ? (error.stack ?? error.message) : String(error);
  fail(`${stack}\nThis is a bug in thoth; please report it with the command you ran.\n`);
  return EXIT.failure;
}
