/**
 * Recorded streams (SPEC §7): one envelope per line. Reads thoth's own lines
 * and kcat's `-J` lines, writes thoth's, and streams a file or stdin line by
 * line so that a million-message recording never sits in memory at once.
 */
import { displayText, shown } from '../core/quote.js';
import { accessSync, constants, createReadStream, statSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { UserError } from '../core/errors.js';
import type { RawBytes } from './broker-records.js';
import type { Envelope } from './envelope.js';
import { MAX_JSON_DEPTH, nestingBeyond, tooDeepReason } from './json-depth.js';
import { canonicalOfWritten, parseJsonText, parseJsonTree, toPlain, valueOfNode, type JsonValue } from './json-text.js';
import { pythonJson } from './wire-json.js';

/** One line that is not a usable envelope; `line` counts from 1. */
export class EnvelopeLineError extends UserError {
  override readonly name = 'EnvelopeLineError';
  constructor(
    readonly source: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super(`${source}:${line}: ${reason}`);
  }
}

export interface ParsedEnvelope {
  envelope: Envelope;
  /** The exact body as recorded, when the line carried it as text (kcat's `payload`); replay sends it byte for byte. */
  body?: string | null;
  format: 'thoth' | 'kcat';
  /** The envelope's value is what JSON.parse read from canonical text (json-text.ts readCanonical): records.ts decodeEnvelope. */
  canonical?: true;
}

/** Thrown inside the parser; the caller adds the source and line number. */
class LineProblem extends Error {}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/** A field's bad value inside a problem: a string quoted and cut as every shown input, anything else as JSON, cut. */
function got(value: unknown): string {
  if (typeof value === 'string') return shown(value);
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}

function timestampOf(value: unknown, field: string): number {
  if (typeof value === 'number' && Number.isFinite(value)) return Math.trunc(value);
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value)) {
    const ms = Date.parse(value);
    if (Number.isFinite(ms)) return ms;
  }
  throw new LineProblem(`field "${field}" must be milliseconds since the epoch or an ISO-8601 date, got ${got(value)}`);
}

function keyOf(value: unknown, field: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return value;
  throw new LineProblem(`field "${field}" must be a string or null, got ${describe(value)}`);
}

/** Kafka's partitions are numbered by a 32-bit signed integer; offsets are 64-bit, of which JSON numbers keep 2^53. */
const MAX_POSITION = { partition: 2 ** 31 - 1, offset: Number.MAX_SAFE_INTEGER } as const;

function position(value: unknown, field: keyof typeof MAX_POSITION): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (Number.isInteger(value) && (value as number) >= 0 && (value as number) <= MAX_POSITION[field]) return value as number;
  throw new LineProblem(`field "${field}" must be an integer from 0 to ${MAX_POSITION[field]}, got ${got(value)}`);
}

function headersOf(value: unknown): Record<string, string> {
  if (value === undefined || value === null) return {};
  const headers: Record<string, string> = {};
  if (Array.isArray(value)) {
    // kcat -J writes headers as [name, value, name, value, ...].
    if (value.length % 2 !== 0) throw new LineProblem('field "headers" must list name and value pairs');
    for (let i = 0; i < value.length; i += 2) {
      const pair: readonly unknown[] = value.slice(i, i + 2);
      const [name, text] = pair;
      if (typeof name !== 'string') throw new LineProblem(`field "headers": header name must be a string, got ${describe(name)}`);
      headers[name] = text === null || text === undefined ? '' : displayText(text);
    }
    return headers;
  }
  if (!isObject(value)) throw new LineProblem(`field "headers" must be an object of strings, got ${describe(value)}`);
  for (const [name, text] of Object.entries(value)) {
    if (typeof text !== 'string') throw new LineProblem(`field "headers.${name}" must be a string, got ${describe(text)}`);
    headers[name] = text;
  }
  return headers;
}

/** A body as text -> the §7 value: the JSON object when it is one, else the text itself. */
export function parseBody(raw: string | null): unknown {
  if (raw === null) return null;
  const first = raw.trimStart()[0];
  if (first !== '{' && first !== '[') return raw;
  const parsed = parseJsonText(raw);
  return parsed.ok ? toPlain(parsed.value) : raw;
}

/** The marker of a key or value written as base64 because its bytes are not UTF-8 text. */
export const BASE64 = 'base64';

function decodedBytes(line: Record<string, unknown>, field: 'key' | 'value'): Buffer | undefined {
  const marker = line[`${field}_encoding`];
  if (marker === undefined || marker === null) return undefined;
  if (marker !== BASE64) throw new LineProblem(`field "${field}_encoding" must be "base64", got ${got(marker)}`);
  const text = line[field];
  if (typeof text !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) {
    throw new LineProblem(`field "${field}" must be base64 text, as "${field}_encoding": "base64" says`);
  }
  return Buffer.from(text, 'base64');
}

/** A line's value: the body exactly as written in the line, its lossless tree, and the plain value for display. */
interface LineValue {
  body: string | null;
  tree?: JsonValue;
  value: unknown;
  /** `value` read from canonical text (canonicalLineValue). */
  canonical?: true;
}

/**
 * `now` stamps a line that carries no timestamp (a hand-written line): the time it is read, as a
 * producer stamps what it sends. Without it such a line is refused.
 */
function stampOf(line: Record<string, unknown>, field: 'timestamp' | 'ts', now: (() => number) | undefined): number {
  if (line[field] === undefined || line[field] === null) {
    if (now) return now();
    throw new LineProblem(`field "${field}" is missing (milliseconds since the epoch or ISO-8601)`);
  }
  return timestampOf(line[field], field);
}

function parseObject(line: Record<string, unknown>, exactValue: LineValue | undefined, now: (() => number) | undefined): ParsedEnvelope {
  const kcat = 'payload' in line && !('value' in line);
  if (typeof line.topic !== 'string' || line.topic === '') {
    throw new LineProblem(`field "topic" must be a non-empty string, got ${line.topic === undefined ? 'nothing' : describe(line.topic)}`);
  }
  if (kcat) {
    const payload = line.payload;
    if (payload !== null && typeof payload !== 'string')
      throw new LineProblem(`field "payload" must be a string or null, got ${describe(payload)}`);
    const envelope: Envelope = {
      topic: line.topic,
      key: keyOf(line.key, 'key'),
      headers: headersOf(line.headers),
      value: parseBody(payload),
      timestamp: stampOf(line, 'ts', now),
      body: payload,
    };
    addPosition(envelope, line);
    return { envelope, body: payload, format: 'kcat' };
  }
  if (!('value' in line)) throw new LineProblem('field "value" is missing (a §7 line has topic, key, headers, value, timestamp)');
  const raw: RawBytes = {};
  const keyBytes = decodedBytes(line, 'key');
  const valueBytes = decodedBytes(line, 'value');
  if (keyBytes) raw.key = keyBytes;
  if (valueBytes) raw.value = valueBytes;
  const envelope: Envelope = {
    topic: line.topic,
    key: keyBytes ? keyBytes.toString('utf8') : keyOf(line.key, 'key'),
    headers: headersOf(line.headers),
    value: valueBytes ? valueBytes.toString('utf8') : (exactValue?.value ?? line.value),
    timestamp: stampOf(line, 'timestamp', now),
  };
  if (valueBytes) envelope.body = valueBytes.toString('utf8');
  else if (exactValue) {
    envelope.body = exactValue.body;
    if (exactValue.tree !== undefined) envelope.tree = exactValue.tree;
  }
  if (keyBytes || valueBytes) envelope.raw = raw;
  addPosition(envelope, line);
  return { envelope, format: 'thoth', ...(exactValue?.canonical && !valueBytes ? { canonical: true as const } : {}) };
}

function addPosition(envelope: Envelope, line: Record<string, unknown>): void {
  const partition = position(line.partition, 'partition');
  const offset = position(line.offset, 'offset');
  if (partition !== undefined) envelope.partition = partition;
  if (offset !== undefined) envelope.offset = offset;
}

/**
 * The value of a §7 line as it must be sent: an object or array exactly as written in the line
 * (its bytes are the body), a string as the text it holds, null as no value.
 */
function lineValue(text: string): { line: unknown; value?: LineValue } {
  // The value sits one level inside the line: a body at the limit is still a good line.
  const deep = nestingBeyond(text, MAX_JSON_DEPTH + 1);
  if (deep !== undefined) throw new LineProblem(`not valid JSON: ${tooDeepReason()} at character ${deep}`);
  const fast = canonicalLineValue(text);
  if (fast) return fast;
  const tree = parseJsonTree(text);
  if (!tree.ok) throw new LineProblem(`not valid JSON (${tree.reason} at character ${tree.offset})`);
  const line = toPlain(valueOfNode(tree.root, tree.text, tree.special));
  if (tree.root.type !== 'object') return { line };
  const property = [...(tree.root.children ?? [])].reverse().find((p) => p.children?.[0]?.value === 'value');
  const node = property?.children?.[1];
  if (!node || (node.type !== 'object' && node.type !== 'array')) return { line };
  const value = valueOfNode(node, tree.text, tree.special);
  // tree.text differs from the line only where NaN or Infinity stood; the body is the line's own text.
  return { line, value: { body: text.slice(node.offset, node.offset + node.length), tree: value, value: toPlain(value) } };
}

/**
 * The common case without the full parser: the line read by JSON.parse, and its value found in the
 * line's text in the compact or Python form that the value's own JSON.parse reading writes back
 * (parseCanonical's rule), right after `"value":`. Undefined when that is not so.
 */
function canonicalLineValue(text: string): { line: unknown; value?: LineValue } | undefined {
  let line: unknown;
  try {
    line = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(line)) return { line };
  const value = line.value;
  if (typeof value !== 'object' || value === null) return { line };
  for (const writer of ['compact', 'python'] as const) {
    const form = writer === 'compact' ? JSON.stringify(value) : pythonJson(value);
    const at = text.indexOf(`"value":${form}`);
    if (at <= 0 || (text[at - 1] !== ',' && text[at - 1] !== '{')) continue;
    const after = text[at + 8 + form.length];
    if (after !== ',' && after !== '}') continue;
    // The line nests no deeper than MAX_JSON_DEPTH + 1 (lineValue), so its value no deeper than parseCanonical allows.
    const exact = canonicalOfWritten(value, writer);
    return { line, value: { body: form, tree: exact.value, value: exact.plain, canonical: true } };
  }
  return undefined;
}

/** Parses one line of a recorded stream; throws EnvelopeLineError naming the line and the reason. */
export function parseEnvelopeLine(text: string, line: number, source = '<input>', now?: () => number): ParsedEnvelope {
  let parsed: { line: unknown; value?: LineValue };
  try {
    parsed = lineValue(text);
  } catch (error) {
    if (error instanceof LineProblem) throw new EnvelopeLineError(source, line, error.message);
    throw error;
  }
  if (!isObject(parsed.line)) throw new EnvelopeLineError(source, line, `expected a JSON object, got ${describe(parsed.line)}`);
  try {
    return parseObject(parsed.line, parsed.value, now);
  } catch (error) {
    if (error instanceof LineProblem) throw new EnvelopeLineError(source, line, error.message);
    throw error;
  }
}

/**
 * The value as it goes into a §7 line: the body's own text when it is a JSON object or array on one
 * line (so the line carries it byte for byte), the text as a JSON string when it is anything else,
 * base64 (with a marker) when its bytes are not UTF-8.
 */
function lineValueText(envelope: Envelope): { text: string; base64?: true } {
  if (envelope.raw?.value) return { text: JSON.stringify(Buffer.from(envelope.raw.value).toString('base64')), base64: true };
  const body = envelope.body;
  if (typeof body === 'string' && typeof envelope.value === 'object' && envelope.value !== null) {
    // A line is one line of strict JSON: a body on several lines, or with Python's NaN or Infinity, is carried as its text.
    return { text: body.includes('\n') || body.includes('\r') || hasPythonLiterals(body) ? JSON.stringify(body) : body };
  }
  return { text: JSON.stringify(envelope.value === undefined ? null : envelope.value) };
}

function hasPythonLiterals(body: string): boolean {
  if (!body.includes('NaN') && !body.includes('Infinity')) return false;
  const tree = parseJsonTree(body);
  return tree.ok && tree.special !== undefined;
}

/** A topic's name as JSON text: lines of one topic follow one another, and the last one is kept. */
let lastTopic: string | undefined;
let lastTopicText = '';
function topicText(topic: string): string {
  if (topic !== lastTopic) [lastTopic, lastTopicText] = [topic, JSON.stringify(topic)];
  return lastTopicText;
}

/** One §7 line (no newline), keys in the order SPEC §7 lists them; bytes that are not UTF-8 as base64 with a marker. */
export function formatEnvelopeLine(envelope: Envelope): string {
  const key = envelope.raw?.key
    ? `${JSON.stringify(Buffer.from(envelope.raw.key).toString('base64'))},"key_encoding":"${BASE64}"`
    : JSON.stringify(envelope.key);
  const value = lineValueText(envelope);
  const position =
    (envelope.partition !== undefined ? `,"partition":${envelope.partition}` : '') +
    (envelope.offset !== undefined ? `,"offset":${envelope.offset}` : '');
  return (
    `{"topic":${topicText(envelope.topic)},"key":${key},"headers":${JSON.stringify(envelope.headers)},` +
    `"value":${value.text}${value.base64 ? `,"value_encoding":"${BASE64}"` : ''},"timestamp":${JSON.stringify(envelope.timestamp)}${position}}`
  );
}

export interface InputLine {
  /** 1-based line number. */
  line: number;
  text: string;
  /** Bytes consumed so far, newline included, for progress. */
  bytesRead: number;
}

/** Opens a path for reading, `-` meaning stdin; a file that cannot be read is a UserError naming it. */
export function openInput(path: string, stdin: NodeJS.ReadableStream): NodeJS.ReadableStream {
  if (path === '-') return stdin;
  try {
    if (!statSync(path).isFile()) throw new UserError(`cannot read ${path}: not a file`);
    accessSync(path, constants.R_OK);
  } catch (error) {
    if (error instanceof UserError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError(
      `cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : String(error)}`,
    );
  }
  return createReadStream(path);
}

/**
 * Streams the lines of an input one at a time, skipping blank lines but
 * counting them. Reading pulls from the stream only as lines are consumed, so
 * a slow consumer (a paced replay) holds one chunk in memory, not the file.
 */
export async function* readLines(input: NodeJS.ReadableStream): AsyncGenerator<InputLine> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let line = 0;
  let bytesRead = 0;
  const emit = (raw: string): InputLine | undefined => {
    line++;
    bytesRead += Buffer.byteLength(raw) + 1;
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    return text.trim() === '' ? undefined : { line, text, bytesRead };
  };
  for await (const chunk of input as AsyncIterable<Buffer | string>) {
    pending += typeof chunk === 'string' ? chunk : decoder.write(chunk);
    let start = 0;
    let end: number;
    while ((end = pending.indexOf('\n', start)) !== -1) {
      const entry = emit(pending.slice(start, end));
      start = end + 1;
      if (entry) yield entry;
    }
    pending = pending.slice(start);
  }
  pending += decoder.end();
  if (pending !== '') {
    const entry = emit(pending);
    if (entry) yield entry;
  }
}

export type EnvelopeLine = (InputLine & { parsed: ParsedEnvelope }) | (InputLine & { error: EnvelopeLineError });

/**
 * Streams the envelopes of a recorded stream; a bad line is yielded as an error and the others still
 * come. With `now`, a line without a timestamp is stamped with it.
 */
export async function* readEnvelopes(input: NodeJS.ReadableStream, source: string, now?: () => number): AsyncGenerator<EnvelopeLine> {
  for await (const entry of readLines(input)) {
    let parsed: ParsedEnvelope;
    try {
      parsed = parseEnvelopeLine(entry.text, entry.line, source, now);
    } catch (error) {
      if (!(error instanceof EnvelopeLineError)) throw error;
      yield { line: entry.line, text: entry.text, bytesRead: entry.bytesRead, error };
      continue;
    }
    yield { line: entry.line, text: entry.text, bytesRead: entry.bytesRead, parsed };
  }
}
