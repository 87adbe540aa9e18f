/**
 * Flag helpers shared by the command declarations: enumerated values checked
 * while parsing (listed in help as choices), repeatable flags, counts.
 */
import { Option } from '@commander-js/extra-typings';
import { UsageError } from '../core/errors.js';
import { shown } from '../core/quote.js';

export function isOneOf<const T extends string>(value: string, choices: readonly T[]): value is T {
  return (choices as readonly string[]).includes(value);
}

/**
 * An option whose value must be one of `choices`: listed as choices in the
 * help, and refused while parsing with a usage error that names them
 * (`refusal` words it; by default "-o must be one of a, b, got "x"").
 */
export function choiceOption<const Usage extends string, const T extends string>(
  flags: Usage,
  description: string,
  choices: readonly T[],
  refusal: (value: string) => string = (value) => `${flags.split(/[ ,]/)[0]} must be one of ${choices.join(', ')}, got ${shown(value)}`,
) {
  return new Option(flags, description).choices(choices).argParser((value: string): T => {
    if (isOneOf(value, choices)) return value;
    throw new UsageError(refusal(value));
  });
}

/** commander's collector for repeatable options (`--field a=1 --field b=2`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** A whole-number option value (`--count 10`), or a usage error naming the flag. */
export function countOf(flag: string, options: { allowZero?: boolean } = {}): (value: string) => number {
  return (text) => {
    const n = Number(text);
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || (!options.allowZero && n === 0)) {
      throw new UsageError(`${flag} must be a ${options.allowZero ? 'non-negative' : 'positive'} integer, got ${JSON.stringify(text)}`);
    }
    return n;
  };
}

/** The `-o` value, else the human form on a terminal and the machine form when piped (SPEC §6). */
export function outputOrDefault<F extends string>(value: F | undefined, defaults: { tty: F; piped: F }, isTTY: boolean): F {
  return value ?? (isTTY ? defaults.tty : defaults.piped);
}
