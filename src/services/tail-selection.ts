/**
 * What `thoth tail` is asked to read: topics from type names, base topics or
 * raw topic names; where to start (--from-beginning, --offset, --since); and
 * the --filter predicates over decoded fields.
 */
import { parseSince } from '../core/duration.js';
import { UsageError } from '../core/errors.js';
import { findMessageType, MESSAGE_TYPES, unknownMessageType } from '../messages/catalogue.js';
import { normalizePackageName } from '../messages/package-spec.js';
import { nearest } from '../core/suggest.js';
import { DEAD_LETTER_BASE_TOPIC, topicName } from '../messages/topics.js';
import { wireFields } from '../messages/validate.js';
import type { StartPosition } from '../transport/port.js';

/** Full topic names for the operands: a type name or base topic gets the deployment prefix; a dotted name is a raw topic. */
export function resolveTopics(operands: readonly string[], all: boolean, deploymentName?: string): string[] {
  const topics: string[] = [];
  if (all) topics.push(...MESSAGE_TYPES.map((t) => topicName(t.baseTopic, deploymentName)));
  for (const operand of operands) {
    const type = findMessageType(operand);
    if (type && (operand === type.name || operand === type.baseTopic)) topics.push(topicName(type.baseTopic, deploymentName));
    else if (operand === 'dead-letter' || operand === DEAD_LETTER_BASE_TOPIC)
      topics.push(topicName(DEAD_LETTER_BASE_TOPIC, deploymentName));
    else if (operand.includes('.')) topics.push(operand);
    else throw unknownMessageType(operand);
  }
  if (topics.length === 0)
    throw new UsageError('name at least one message type or topic, or --all', 'e.g. thoth tail solved-package unresolved-package');
  return [...new Set(topics)];
}

export interface StartFlags {
  fromBeginning?: boolean;
  /** An offset, or -N: the last N records of each partition. */
  offset?: number;
  since?: string;
  exitAtEnd?: boolean;
}

/**
 * Where to begin. Without a flag, tail follows new messages, except with
 * --exit-at-end, which would then print nothing: it reads from the beginning.
 */
export function startPosition(flags: StartFlags, now: number): StartPosition {
  const given = [
    flags.fromBeginning ? '--from-beginning' : '',
    flags.offset !== undefined ? '--offset' : '',
    flags.since !== undefined ? '--since' : '',
  ].filter(Boolean);
  if (given.length > 1) throw new UsageError(`${given.join(' and ')} cannot be used together: choose one start position`);
  if (flags.offset !== undefined) return flags.offset < 0 ? { from: 'end', back: -flags.offset } : { from: 'offset', offset: flags.offset };
  if (flags.since !== undefined) {
    const timestamp = parseSince(flags.since, now);
    if (timestamp === undefined)
      throw new UsageError(`--since expects a duration like 10m, 2h, 1d or an ISO-8601 date, got ${JSON.stringify(flags.since)}`);
    return { from: 'timestamp', timestamp };
  }
  if (flags.fromBeginning || flags.exitAtEnd) return { from: 'earliest' };
  return { from: 'latest' };
}

export interface FieldFilter {
  path: string[];
  expected: string;
}

/** Parses `field=value` (nested as `metadata.package_name=x`), checking the field exists in one of the tailed types. */
export function parseFilters(assignments: readonly string[], topics: readonly string[], deploymentName?: string): FieldFilter[] {
  const types = topics.map((t) => findMessageType(t, deploymentName));
  const known = types.every(Boolean) ? new Set(types.flatMap((t) => wireFields(t!).map((f) => f.name))) : undefined;
  return assignments.map((assignment) => {
    const at = assignment.indexOf('=');
    if (at <= 0) throw new UsageError(`--filter expects field=value, got ${JSON.stringify(assignment)}`);
    const path = assignment.slice(0, at).split('.');
    if (known && !known.has(path[0])) {
      const suggestion = nearest(path[0], [...known]);
      throw new UsageError(
        `--filter: no tailed message type has a field "${path[0]}"${suggestion ? ` (did you mean '${suggestion}'?)` : ''}`,
        `fields: ${[...known].join(', ')}`,
      );
    }
    return { path, expected: assignment.slice(at + 1) };
  });
}

function textOf(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

/** True when every filter matches the decoded body; package names compare normalised (PEP 503). */
export function matchesFilters(value: unknown, filters: readonly FieldFilter[]): boolean {
  return filters.every(({ path, expected }) => {
    let node: unknown = value;
    for (const part of path)
      node = typeof node === 'object' && node !== null && !Array.isArray(node) ? (node as Record<string, unknown>)[part] : undefined;
    const actual = textOf(node);
    if (actual === undefined) return false;
    if (path[path.length - 1] === 'package_name') return normalizePackageName(actual) === normalizePackageName(expected);
    return actual === expected;
  });
}
