/**
 * The dispatch core: parse the command line, load only the invoked
 * subcommand, run it with one command context, and map what it returns or
 * throws to an exit code (exit-codes.ts). SIGINT/SIGTERM reach it as an
 * AbortSignal (signals.ts, wired by bin/thoth.ts).
 */
import { CommanderError, type CommandUnknownOpts } from '@commander-js/extra-typings';
import type { Outcome, ParseContext } from '../commands/command.js';
import type { CommandContext } from '../commands/context.js';
import { invokedCommandName } from './command-line.js';
import { COMMANDS } from './command-table.js';
import type { Settings } from '../config/settings.js';
import { systemClock, type Clock } from '../core/clock.js';
import { UsageError } from '../core/errors.js';
import type { Io } from '../core/io.js';
import { redact, secretValues } from '../core/redact.js';
import { terminalSafe } from '../core/terminal.js';
import { withoutCredentials } from '../messages/secrets.js';
import { didYouMean, nearest } from '../core/suggest.js';
import { verboseAsked } from './startup.js';
import { createContext } from './context.js';
import { EXIT, bySignal, exitCodeOf, reportError } from './exit-codes.js';
import { processIo } from './process-io.js';
import { HELP_TOPICS } from './help-topics.js';
import { globalOptions, rootProgram, type RootProgram } from './program.js';
import { stderrLogger } from './stderr-logger.js';

export interface MainInit {
  env?: NodeJS.ProcessEnv;
  io?: Io;
  /** Aborted by the caller (bin/thoth.ts wires SIGINT/SIGTERM to it). */
  signal?: AbortSignal;
  clock?: Clock;
}

function forEachCommand(command: CommandUnknownOpts, visit: (command: CommandUnknownOpts) => void): void {
  visit(command);
  for (const sub of command.commands) forEachCommand(sub, visit);
}

/**
 * An unknown subcommand (`thoth groups reset`) told as an unknown command is: the nearest name quoted (a prefix
 * counts: reset-offsets), and where the names are. commander's own note read "(Did you mean x?)" on a line of its own
 * and knew only typos.
 */
function suggestSubcommands(command: CommandUnknownOpts): void {
  if (command.commands.length === 0) return;
  const unknownCommand = () => {
    const path: string[] = [];
    for (let c: CommandUnknownOpts | null = command; c; c = c.parent) path.unshift(c.name());
    const refusal = unknownCommandError(
      String(command.args[0]),
      command.commands.map((c) => c.name()),
    );
    command.error(`${refusal}\nSee '${path.join(' ')} --help'.`, { code: 'commander.unknownCommand' });
  };
  Object.assign(command, { unknownCommand });
}

/** `error: unknown command 'x'`, with the name it may have meant. */
function unknownCommandError(name: string, names: readonly string[]): string {
  const meant = nearest(name, names);
  return `error: unknown command '${name}'${didYouMean(meant === undefined ? [] : [meant])}`;
}

/**
 * `-o` is global (SPEC §6): commander gives it to the program wherever it
 * stands, so it is handed to the command that runs, checked against that
 * command's own choices, before its action turns flags into options.
 */
function handOnOutput(program: RootProgram, commandName: () => string): void {
  program.hook('preAction', (_program, action) => {
    const value = program.opts().output;
    if (value === undefined) return;
    const option = action.options.find((o) => o.long === '--output');
    if (!option) throw new UsageError(`thoth ${commandName()} has no -o/--output option`);
    if (action.getOptionValue('output') !== undefined) return;
    action.setOptionValueWithSource('output', option.parseArg ? option.parseArg(value, undefined) : value, 'cli');
  });
}

export async function main(argv: string[], init: MainInit = {}): Promise<number> {
  const env = init.env ?? process.env;
  const args = argv.slice(2);
  const wanted = invokedCommandName(args);
  const io = init.io ?? processIo({ directStdout: COMMANDS.find((c) => c.name === wanted)?.printsOnce === true });
  const signal = init.signal ?? new AbortController().signal;
  const clock = init.clock ?? systemClock;
  // Extended with the secrets a context of the configuration file supplies, once the settings are read.
  let secrets = secretValues(env);
  // Errors often echo what was typed or read: control characters are shown as escapes (`\x1b`).
  // URL user info (`https://alice:PW@…`) is masked in whatever an error quotes.
  const fail = (text: string) => io.stderr.write(terminalSafe(withoutCredentials(redact(text, secrets))));
  const program = rootProgram({ out: (text) => io.stdout.write(text), err: fail });

  if (args[0] === '__complete') {
    // The shell scripts of `thoth completion` ask here; a failure completes nothing rather than printing an error at the prompt.
    const { complete } = await import('./complete.js');
    const candidates = await complete(args.slice(1), env).catch(() => []);
    io.stdout.write(candidates.map((c) => `${c}\n`).join(''));
    return EXIT.ok;
  }
  const topic = args[args.indexOf('help') + 1];
  if (args.includes('help') && wanted === topic && Object.hasOwn(HELP_TOPICS, topic)) {
    io.stdout.write(HELP_TOPICS[topic].text);
    return EXIT.ok;
  }
  if (wanted && !COMMANDS.some((c) => c.name === wanted)) {
    fail(
      `${unknownCommandError(
        wanted,
        COMMANDS.map((c) => c.name),
      )}\n`,
    );
    fail(`Commands: ${COMMANDS.map((c) => c.name).join(', ')}. See 'thoth --help'.\n`);
    return EXIT.usage;
  }

  // Loaded only when a command runs: `thoth --help` and `--version` read no setting.
  const config = wanted ? await import('../config/settings.js') : undefined;
  // The settings need the global flags, which commander has parsed by the time any action runs.
  let settings: Settings | undefined;
  const settingsOnce = () => {
    if (settings) return settings;
    settings = config!.readSettings(env, globalOptions(program));
    secrets = [...new Set([...secrets, ...settings.secrets])];
    return settings;
  };
  const parse: ParseContext = {
    get settings() {
      return settingsOnce();
    },
    isTTY: Boolean(io.stdout.isTTY),
    now: clock.now(),
  };
  let run: ((context: CommandContext) => Promise<Outcome | void>) | undefined;
  for (const entry of COMMANDS) {
    if (entry.name !== wanted) {
      // Listed in `thoth --help`; its module is not loaded.
      program.command(entry.name).description(entry.summary);
      continue;
    }
    const command = (await entry.load()).declare(parse, (ready) => (run = ready));
    command.description(entry.summary);
    forEachCommand(command, (c) => {
      c.exitOverride().configureOutput({ writeOut: (t) => io.stdout.write(t), writeErr: fail });
      suggestSubcommands(c);
    });
    program.addCommand(command);
  }
  handOnOutput(program, () => wanted ?? 'thoth');

  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (!(error instanceof CommanderError)) return reportError(error, fail, wanted ?? 'thoth', verboseAsked(args));
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return EXIT.ok;
    // A command that needs a subcommand (`thoth query`) shows its help as an error; `thoth` alone is a request for help.
    if (error.code === 'commander.help') return error.exitCode === 0 || !wanted ? EXIT.ok : EXIT.usage;
    return EXIT.usage;
  }
  if (!run) {
    program.outputHelp();
    return EXIT.ok;
  }

  const globals = globalOptions(program);
  const log = stderrLogger(io, globals);
  let ready: Settings;
  try {
    // A configuration file or context that cannot be used is reported as any other error.
    ready = settingsOnce();
  } catch (error) {
    return reportError(error, fail, wanted!, globals.verbose === true);
  }
  const context = createContext({ io, clock, signal, globals, settings: ready, log });
  try {
    for (const warning of context.settings.warnings) log.warn(warning);
    return bySignal(exitCodeOf(await run(context)), signal);
  } catch (error) {
    return bySignal(reportError(error, fail, wanted!, globals.verbose === true), signal);
  } finally {
    try {
      await context.close();
    } catch (error) {
      log.debug(`while closing: ${String(error)}`);
    }
  }
}
