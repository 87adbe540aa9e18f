/**
 * Enumerated values typed by people (`--status failed`, `-o JSON`, a solver
 * name): the one rule for accepting them and for refusing them, so that every
 * flag and filter behaves the same. A value is taken as written, else when it
 * matches exactly one choice ignoring case; anything else is refused with the
 * valid choices listed and a suggestion.
 */
import { didYouMean, suggestions } from './suggest.js';
import { shown } from './quote.js';

/** The choice `value` names: itself, else the one choice equal to it ignoring case; undefined when none or ambiguous. */
export function matchChoice<const T extends string>(value: string, choices: readonly T[]): T | undefined {
  const exact = choices.find((c) => c === value);
  if (exact !== undefined) return exact;
  const folded = choices.filter((c) => c.toLowerCase() === value.toLowerCase());
  return folded.length === 1 ? folded[0] : undefined;
}

/** `<what> must be one of a, b, c, got "x" (did you mean 'a'?)`. */
export function choiceRefusal(what: string, value: string, choices: readonly string[]): string {
  return `${what} must be one of ${choices.join(', ')}, got ${shown(value)}${didYouMean(suggestions(value, choices))}`;
}
