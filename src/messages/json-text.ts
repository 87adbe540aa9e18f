/**
 * JSON read as Python's `json.loads` reads it (what thoth-messaging and
 * pydantic v1 see), without losing anything JavaScript's JSON.parse loses:
 *
 * - numbers keep their text (`1.0` stays a float, `9007199254740993` and
 *   `1e400` are not rounded), and say whether Python reads them as int or float;
 * - objects keep their keys in the order sent (JavaScript objects list
 *   integer-like keys first), `__proto__` included;
 * - a key sent twice keeps its first place and its last value, as a Python dict does;
 * - `NaN`, `Infinity` and `-Infinity` are read as Python reads them;
 * - an integer of more than 4300 digits is refused, as Python 3.11's int() refuses it;
 * - objects and arrays nested more than MAX_JSON_DEPTH levels are refused (json-depth.ts), as
 *   Python's recursion limit refuses them, before any recursive step sees them.
 *
 * The grammar is jsonc-parser's (Microsoft's JSON scanner and parser, in strict
 * mode: no comments, no trailing commas), whose syntax tree has the offset of
 * every value, which is what makes the text recoverable.
 */
import { createScanner, parseTree, printParseErrorCode, SyntaxKind, type Node, type ParseError } from 'jsonc-parser';
import { nestingBeyond, tooDeepReason } from './json-depth.js';

/**
 * Python's writer (wire-json.ts), injected by it to keep the import one way: wire-json writes
 * these values, and this module checks text against it.
 */
let pythonJsonOf: (value: unknown) => string = () => '';
let pythonNumberOf: (value: number) => string = String;
export function usePythonWriter(json: (value: unknown) => string, number: (value: number) => string): void {
  pythonJsonOf = json;
  pythonNumberOf = number;
}

/** A JSON number as written. */
export class JsonNumber {
  constructor(readonly text: string) {}
  /** Python reads digits alone as an int, anything with a fraction, exponent, NaN or Infinity as a float. */
  get isInteger(): boolean {
    return /^-?\d+$/.test(this.text);
  }
  /** The nearest JavaScript number (what JSON.parse would give). */
  valueOf(): number {
    if (this.text === 'NaN') return NaN;
    if (this.text === 'Infinity') return Infinity;
    if (this.text === '-Infinity') return -Infinity;
    return Number(this.text);
  }
  toJSON(): number {
    return this.valueOf();
  }
}

/** A JSON object: its entries in the order sent, each key once (the last value sent, at the first place). */
export class JsonObject {
  constructor(readonly entries: ReadonlyArray<readonly [string, JsonValue]>) {}
  get(key: string): JsonValue | undefined {
    for (const [k, v] of this.entries) if (k === key) return v;
    return undefined;
  }
  has(key: string): boolean {
    return this.entries.some(([k]) => k === key);
  }
  toJSON(): unknown {
    return toPlain(this);
  }
}

export type JsonValue = null | boolean | string | JsonNumber | JsonValue[] | JsonObject;

export type JsonParse = { ok: true; value: JsonValue } | { ok: false; offset: number; reason: string };

/** Python's int() refuses strings of more than this many digits (sys.get_int_max_str_digits, 3.11). */
const MAX_INT_DIGITS = 4300;

const STRICT = { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false } as const;

const SPECIAL = { NaN: '0.0', Infinity: '0.000000', '-Infinity': '-0.000000' } as const;
type Special = keyof typeof SPECIAL;

/**
 * NaN, Infinity and -Infinity, which Python reads and JSON does not: found with the library's own
 * scanner (so never inside a string), and replaced by numbers of the same length whose offsets say
 * what they stand for.
 */
function pythonLiterals(text: string): { text: string; at: Map<number, Special> } | undefined {
  if (!text.includes('NaN') && !text.includes('Infinity')) return undefined;
  const at = new Map<number, Special>();
  const scanner = createScanner(text, true);
  let previousMinus = -1;
  for (let kind = scanner.scan(); kind !== SyntaxKind.EOF; kind = scanner.scan()) {
    if (kind !== SyntaxKind.Unknown) {
      previousMinus = -1;
      continue;
    }
    const value = scanner.getTokenValue();
    const offset = scanner.getTokenOffset();
    const negated = previousMinus === offset - 1;
    if (value === 'Infinity' && negated) at.set(previousMinus, '-Infinity');
    // Python has no -NaN: left as it is, it stays an error.
    else if ((value === 'NaN' && !negated) || value === 'Infinity') at.set(offset, value);
    previousMinus = value === '-' ? offset : -1;
  }
  if (at.size === 0) return undefined;
  let replaced = text;
  for (const [offset, literal] of at) replaced = replaced.slice(0, offset) + SPECIAL[literal] + replaced.slice(offset + literal.length);
  return { text: replaced, at };
}

/** The syntax tree of `text`, or where and why it is not JSON. */
export function parseJsonTree(
  text: string,
): { ok: true; root: Node; text: string; special?: Map<number, Special> } | { ok: false; offset: number; reason: string } {
  // jsonc-parser recurses once per level: the depth is checked before it runs.
  const deep = nestingBeyond(text);
  if (deep !== undefined) return { ok: false, offset: deep, reason: tooDeepReason() };
  const literals = pythonLiterals(text);
  const source = literals?.text ?? text;
  const errors: ParseError[] = [];
  const root = parseTree(source, errors, STRICT);
  if (errors.length > 0 || root === undefined) {
    const first = errors[0];
    return { ok: false, offset: first?.offset ?? 0, reason: first ? describeError(printParseErrorCode(first.error)) : 'no JSON value' };
  }
  return { ok: true, root, text: source, special: literals?.at };
}

function describeError(code: string): string {
  return code.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
}

class TooManyDigits extends Error {
  constructor(readonly offset: number) {
    super('an integer of more than 4300 digits');
  }
}

/** The value of a node of parseJsonTree's tree (its text is the tree's). */
export function valueOfNode(node: Node, text: string, special?: Map<number, Special>): JsonValue {
  switch (node.type) {
    case 'object': {
      const entries: Array<[string, JsonValue]> = [];
      const index = new Map<string, number>();
      for (const property of node.children ?? []) {
        const [keyNode, valueNode] = property.children!;
        const key = keyNode.value as string;
        const value = valueOfNode(valueNode, text, special);
        const at = index.get(key);
        if (at === undefined) {
          index.set(key, entries.length);
          entries.push([key, value]);
        } else entries[at] = [key, value];
      }
      return new JsonObject(entries);
    }
    case 'array':
      return (node.children ?? []).map((child) => valueOfNode(child, text, special));
    case 'number': {
      const literal = special?.get(node.offset);
      if (literal !== undefined) return new JsonNumber(literal);
      const raw = text.slice(node.offset, node.offset + node.length);
      if (raw.length > MAX_INT_DIGITS && /^-?\d+$/.test(raw) && raw.replace('-', '').length > MAX_INT_DIGITS) {
        throw new TooManyDigits(node.offset);
      }
      return new JsonNumber(raw);
    }
    case 'string':
      return node.value as string;
    case 'boolean':
      return node.value as boolean;
    case 'null':
      return null;
    default:
      throw new Error(`unexpected JSON node ${node.type}`);
  }
}

/**
 * The value of JSON text in one of the two forms nearly every body on the wire has, JavaScript's
 * compact JSON.stringify form or Python's json.dumps form, read with the native JSON.parse. It is
 * taken only when writing the parsed value back in that form gives the text again, character for
 * character: then no number was rounded, no key moved or repeated, and each number's text is the
 * one the writer gives it. Anything else (1.0, integer-like keys, big ints, NaN, other spacing)
 * is left to the full parser. `plain` is what JSON.parse made, for code that reads fields.
 */
export function parseCanonical(text: string): { value: JsonValue; plain: unknown } | undefined {
  const read = readCanonical(text);
  return read && canonicalOfWritten(read.plain, read.form);
}

/**
 * parseCanonical's test alone: what JSON.parse made of the text and the form that writes it back character for
 * character, without the lossless value (canonicalOfWritten makes it). In such a value every number is the one its
 * text says, so code that reads it may take a safe integer as Python's int.
 */
export function readCanonical(text: string): { plain: object; form: 'compact' | 'python' } | undefined {
  // Too deep for the walks below: parseJsonTree refuses it with the reason.
  if (nestingBeyond(text) !== undefined) return undefined;
  let plain: unknown;
  try {
    plain = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof plain !== 'object' || plain === null) return undefined;
  // Python's separators first where the text has them: thoth-messaging's bodies.
  const python = text.includes('": ') || text.includes('", "');
  for (const form of python ? (['python', 'compact'] as const) : (['compact', 'python'] as const)) {
    const written = form === 'compact' ? JSON.stringify(plain) : pythonJsonOf(plain);
    if (written === text) return { plain, form };
  }
  return undefined;
}

/**
 * parseCanonical's answer for text known to be `form`'s writing of `plain`, a value JSON.parse made
 * (a recorded line's value found in the line exactly as that writer writes it): reading that text
 * again would give `plain` back and write the same text, so it is not read again.
 */
export function canonicalOfWritten(plain: object, form: 'compact' | 'python'): { value: JsonValue; plain: unknown } {
  return { value: fromWritten(plain, form === 'compact' ? String : pythonNumberOf), plain };
}

/** A value JSON.parse made, as JSON values whose numbers have the text the writer that produced `text` gave them. */
function fromWritten(value: unknown, numberText: (n: number) => string): JsonValue {
  if (typeof value !== 'object' || value === null)
    return typeof value === 'number' ? new JsonNumber(numberText(value)) : (value as JsonValue);
  if (Array.isArray(value)) return value.map((item) => fromWritten(item, numberText));
  // A loop rather than entries().map(): this runs for every consumed message.
  const object = value as Record<string, unknown>;
  const keys = Object.keys(object);
  const entries = new Array<readonly [string, JsonValue]>(keys.length);
  for (let i = 0; i < keys.length; i++) entries[i] = [keys[i], fromWritten(object[keys[i]], numberText)];
  return new JsonObject(entries);
}

/** Parses JSON text as Python's json.loads does, keeping every number's text and every object's key order. */
export function parseJsonText(text: string): JsonParse {
  const canonical = parseCanonical(text);
  if (canonical) return { ok: true, value: canonical.value };
  const tree = parseJsonTree(text);
  if (!tree.ok) return tree;
  try {
    return { ok: true, value: valueOfNode(tree.root, tree.text, tree.special) };
  } catch (error) {
    if (error instanceof TooManyDigits) return { ok: false, offset: error.offset, reason: error.message };
    throw error;
  }
}

/** The value with plain JavaScript numbers and objects, for code that reads fields (handlers, filters, tables). */
export function toPlain(value: unknown): unknown {
  if (value instanceof JsonNumber) return value.valueOf();
  if (value instanceof JsonObject) {
    const out: Record<string, unknown> = {};
    // defineProperty keeps a `__proto__` key as data instead of setting the prototype.
    for (const [key, item] of value.entries)
      Object.defineProperty(out, key, { value: toPlain(item), enumerable: true, writable: true, configurable: true });
    return out;
  }
  if (Array.isArray(value)) return value.map(toPlain);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value))
      Object.defineProperty(out, key, { value: toPlain(item), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return value;
}

/**
 * A value built in JavaScript (flags, handlers) as a JSON value: an integral number is a Python
 * int written in digits whatever its size (`1e16` is `10000000000000000`, as Python writes the int),
 * other numbers floats. Parsed values inside it are kept as they are.
 */
export function fromPlain(value: unknown): JsonValue {
  if (value === null || value === undefined) return null;
  if (value instanceof JsonNumber || value instanceof JsonObject) return value;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (Number.isNaN(value)) return new JsonNumber('NaN');
      if (!Number.isFinite(value)) return new JsonNumber(value > 0 ? 'Infinity' : '-Infinity');
      if (Number.isInteger(value)) return new JsonNumber(Object.is(value, -0) ? '-0.0' : BigInt(value).toString());
      return new JsonNumber(String(value));
    case 'bigint':
      return new JsonNumber(value.toString());
    case 'object':
      if (Array.isArray(value)) return value.map(fromPlain);
      return new JsonObject(
        Object.entries(value as Record<string, unknown>)
          .filter(([, item]) => item !== undefined)
          .map(([key, item]) => [key, fromPlain(item)] as const),
      );
    default:
      throw new TypeError(`cannot write a ${typeof value} as JSON`);
  }
}

/** An object's entries as a record of JSON values (a `__proto__` key kept as data), for code that merges fields. */
export function fieldsOf(object: JsonObject): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (const [key, value] of object.entries)
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  return out;
}
