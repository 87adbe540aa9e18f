/**
 * Flag helpers shared by the command declarations: enumerated values checked
 * while parsing (listed in help as choices), repeatable flags, counts.
 */
import { Option } from '@commander-js/extra-typings';
import { choiceRefusal, matchChoice } from '../core/choice.js';
import { UsageError } from '../core/errors.js';
import { didYouMean, suggestions } from '../core/suggest.js';

export function isOneOf<const T extends string>(value: string, choices: readonly T[]): value is T {
  return (choices as readonly string[]).includes(value);
}

/**
 * An option whose value must be one of `choices`: listed as choices in the
 * help, accepted in any case where that names one choice (`--status failed`),
 * and otherwise refused while parsing with a usage error that names them and
 * suggests the nearest (`refusal` words it; by default
 * "-o must be one of a, b, got "x" (did you mean 'a'?)"). `aliases` are other
 * spellings still accepted but not listed (an older name of a format).
 */
export function choiceOption<const Usage extends string, const T extends string>(
  flags: Usage,
  description: string,
  choices: readonly T[],
  refusal: (value: string) => string = (value) => choiceRefusal(flags.split(/[ ,]/)[0], value, choices),
  aliases: Readonly<Record<string, T>> = {},
) {
  return new Option(flags, description).choices(choices).argParser((value: string): T => {
    const found = matchChoice(value, choices) ?? aliases[value.toLowerCase()];
    if (found !== undefined) return found;
    const message = refusal(value);
    // A custom wording still gets the suggestion.
    const hint = message.includes('did you mean') ? '' : didYouMean(suggestions(value, choices));
    throw new UsageError(`${message}${hint}`);
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
