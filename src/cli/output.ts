/**
 * The `-o` choice shared by publish, tail, replay and topics: checked while
 * parsing, defaulting to the human form on a terminal and to a machine form
 * when piped (SPEC §6).
 */
import { UsageError } from './errors.js';

export function outputFormat<const F extends string>(value: unknown, allowed: readonly F[], defaults: { tty: F; piped: F }, isTTY: boolean | undefined): F {
  if (value === undefined) return isTTY ? defaults.tty : defaults.piped;
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as F;
  throw new UsageError(`-o must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
}


/** commander's collector for repeatable options (`--field a=1 --field b=2`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** A positive integer option value, or a UsageError naming the flag; undefined stays undefined. */
export function parseCount(flag: string, value: unknown, allowZero = false): number | undefined {
  if (value === undefined) return undefined;
  const text = String(value);
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || (!allowZero && n === 0)) {
    throw new UsageError(`${flag} must be a ${allowZero ? 'non-negative' : 'positive'} integer, got ${JSON.stringify(text)}`);
  }
  return n;
}
