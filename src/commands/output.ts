/**
 * One output vocabulary for every command that prints results (`-o`):
 * table | wide | json | yaml | ndjson | name, each command taking those that
 * make sense for it. The value is checked while parsing (the global `-o`
 * too: src/cli/main.ts hands it to this option), with the valid choices
 * listed; the default is the human form on a terminal and a machine form
 * when piped (SPEC §6).
 *
 * - table: for people, fitted to the terminal's width (the least useful
 *   columns go first, then long cells are shortened);
 * - wide: the table with every column, nothing shortened;
 * - json, yaml: one document; ndjson: one JSON value per line;
 * - name: the names only, one per line (kubectl's -o name).
 */
import { choiceOption } from './options.js';

export const OUTPUT_FORMATS = ['table', 'wide', 'json', 'yaml', 'ndjson', 'name'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

const MEANING: Record<OutputFormat, string> = {
  table: 'table',
  wide: 'wide (every column)',
  json: 'json',
  yaml: 'yaml',
  ndjson: 'ndjson',
  name: 'name',
};

/**
 * The `-o, --output` option of a command: `formats` in the vocabulary's order, `defaults` for a
 * terminal and a pipe; `aliases` are older names still accepted (`pretty` for table).
 */
export function outputOption<const F extends OutputFormat>(
  formats: readonly F[],
  defaults: { tty: F; piped: F } | { always: F },
  aliases: Readonly<Record<string, F>> = {},
) {
  const ordered = OUTPUT_FORMATS.filter((f): f is F => (formats as readonly string[]).includes(f));
  const fallback =
    'always' in defaults
      ? `default: ${defaults.always}`
      : defaults.tty === defaults.piped
        ? `default: ${defaults.tty}`
        : `default: ${defaults.tty} on a terminal, ${defaults.piped} when piped`;
  return choiceOption('-o, --output <format>', `${ordered.map((f) => MEANING[f]).join(' | ')} (${fallback})`, ordered, undefined, aliases);
}

/** The `-o` value, else the human form on a terminal and the machine form when piped (SPEC §6). */
export function chosenOutput<F extends OutputFormat>(
  value: F | undefined,
  defaults: { tty: F; piped: F } | { always: F },
  isTTY: boolean,
): F {
  if (value !== undefined) return value;
  if ('always' in defaults) return defaults.always;
  return isTTY ? defaults.tty : defaults.piped;
}
