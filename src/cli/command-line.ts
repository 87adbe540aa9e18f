/**
 * The subcommand a command line names, read before anything else loads: the dispatch core loads
 * only that command's module (main.ts), and the build's entry picks the bundle that holds it
 * (scripts/bundle.mjs). Imports nothing.
 */

const GLOBAL_OPTIONS_WITH_VALUES = new Set([
  '-o',
  '--output',
  '-b',
  '--broker',
  '-X',
  '--kafka-option',
  '-z',
  '--compression',
  '--db',
  '--deployment-name',
  '--thoth-context',
]);

/** The subcommand named on the command line, skipping global options and their values. */
export function invokedCommandName(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
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
