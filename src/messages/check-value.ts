/**
 * Checking one field value as upstream's pydantic v1 models check it:
 * `Strict*` types take no coercion ("1" is no int, 1.0 and 1e3 are floats,
 * 1 is no str, "true" is no bool), Optional means absent or null, defaults
 * fill absent fields, null is refused for a field that is not Optional,
 * unknown keys are dropped. Where pydantic v1 does coerce, so does thoth:
 * a dict field (and a nested model, and a whole body) takes what Python's
 * `dict()` takes — a list of [key, value] pairs, `[]`, `""` — and is
 * written back as the object pydantic made of it.
 *
 * Values are json-text.ts' lossless ones (JsonNumber, JsonObject), so an
 * int is an int as Python reads it, however large.
 */
import { typeLabel, type FieldSpec, type FieldType } from './fields.js';
import { JsonNumber, JsonObject, type JsonValue } from './json-text.js';

export interface FieldError {
  /** Dotted path, e.g. `metadata.package_name`, `justification[2]`, or `(body)` for the whole value. */
  field: string;
  /** The rule broken: `required`, `not null`, `type: expected int`, `key: expected str`, `json`, `empty`, `pep440`, ... */
  rule: string;
  /** A full sentence naming the field and the rule; never the value (it may be a secret). */
  message: string;
}

const EXPECTED: Record<string, string> = {
  str: 'a JSON string',
  int: 'a JSON integer (no quotes, no fraction, no exponent)',
  bool: 'true or false (no quotes)',
  object: 'a JSON object',
  'str[]': 'an array of JSON strings',
  'object[]': 'an array of JSON objects',
};

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof JsonNumber);
}

/** What a value is, in words, without showing it. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof JsonNumber) return value.isInteger ? 'an integer' : 'a number with a fraction or exponent';
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a number with a fraction';
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'boolean') return 'a boolean';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

function typeError(path: string, label: string, value: unknown): FieldError {
  return {
    field: path,
    rule: `type: expected ${label}`,
    message: `field '${path}' must be ${label}, ${EXPECTED[label] ?? 'a JSON object'}; got ${describeValue(value)}`,
  };
}

function keyError(path: string, key: JsonValue): FieldError {
  return {
    field: path,
    rule: 'key: expected str',
    message: `field '${path}' must be an object whose keys are strings; one of its [key, value] pairs has ${describeValue(key)} as key`,
  };
}

function join(prefix: string, name: string): string {
  return prefix ? `${prefix}.${name}` : name;
}

/** Python counts a string's length in code points. */
const codePoints = (text: string): string[] => [...text];

/** What Python's dict() makes of a value: the [key, value] entries, or undefined where it raises. */
export function dictEntries(value: JsonValue): Array<[JsonValue, JsonValue]> | undefined {
  if (value instanceof JsonObject) return value.entries.map(([k, v]) => [k, v]);
  if (typeof value === 'string') return value === '' ? [] : undefined; // each character is one item, not a pair
  if (!Array.isArray(value)) return undefined;
  const entries: Array<[JsonValue, JsonValue]> = [];
  for (const item of value) {
    let pair: JsonValue[] | undefined;
    if (Array.isArray(item)) pair = item;
    else if (typeof item === 'string') pair = codePoints(item);
    else if (item instanceof JsonObject) pair = item.entries.map(([k]) => k); // iterating a dict gives its keys
    if (pair?.length !== 2) return undefined;
    const [key, entry] = pair as [JsonValue, JsonValue];
    if (Array.isArray(key) || key instanceof JsonObject) return undefined; // unhashable
    // A key given twice keeps its first place and its last value.
    const at = entries.findIndex(([k]) => sameKey(k, key));
    if (at === -1) entries.push([key, entry]);
    else entries[at] = [entries[at][0], entry];
  }
  return entries;
}

/** Python's dict key equality: 1, 1.0 and True are one key. */
function sameKey(a: JsonValue, b: JsonValue): boolean {
  const numeric = (v: JsonValue) => (v instanceof JsonNumber ? v.valueOf() : typeof v === 'boolean' ? Number(v) : undefined);
  const [x, y] = [numeric(a), numeric(b)];
  if (x !== undefined || y !== undefined) return x === y;
  return a === b;
}

/** The value as a dict with string keys (Dict[StrictStr, Any]), pushing errors where pydantic raises them. */
function checkDict(value: JsonValue, path: string, errors: FieldError[]): JsonObject | undefined {
  if (value instanceof JsonObject) return value;
  const entries = dictEntries(value);
  if (entries === undefined) {
    errors.push(typeError(path, 'object', value));
    return undefined;
  }
  const bad = entries.filter(([key]) => typeof key !== 'string');
  for (const [key] of bad) errors.push(keyError(path, key));
  return bad.length ? undefined : new JsonObject(entries as Array<[string, JsonValue]>);
}

/** Appends the wire-ordered, validated fields of `input` to `out`; pushes the errors found. */
export function checkFields(
  fields: readonly FieldSpec[],
  input: JsonObject,
  prefix: string,
  out: Array<[string, JsonValue]>,
  errors: FieldError[],
): void {
  for (const field of fields) {
    const path = join(prefix, field.name);
    const value = input.get(field.name);
    if (value === undefined) {
      if (field.required) {
        errors.push({ field: path, rule: 'required', message: `field '${path}' is required (${typeLabel(field.type)})` });
      } else if (field.default !== undefined) {
        out.push([field.name, checkValue(field.type, defaultOf(field.default), path, errors)]);
      } else {
        out.push([field.name, null]);
      }
      continue;
    }
    if (value === null) {
      if (field.nullable) out.push([field.name, null]);
      else errors.push({ field: path, rule: 'not null', message: `field '${path}' must not be null (${typeLabel(field.type)})` });
      continue;
    }
    out.push([field.name, checkValue(field.type, value, path, errors)]);
  }
}

/** A declared default as a JSON value (a fresh one each time, so that no two messages share it). */
function defaultOf(value: unknown): JsonValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return new JsonNumber(String(value));
  if (Array.isArray(value)) return value.map(defaultOf);
  return new JsonObject(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, defaultOf(v)]));
}

/** The checked value (nested models rebuilt in wire order, dicts as pydantic makes them), pushing errors on a mismatch. */
function checkValue(type: FieldType, value: JsonValue, path: string, errors: FieldError[]): JsonValue {
  switch (type) {
    case 'str':
      if (typeof value !== 'string') errors.push(typeError(path, type, value));
      return value;
    case 'int':
      if (!(value instanceof JsonNumber) || !value.isInteger) errors.push(typeError(path, type, value));
      return value;
    case 'bool':
      if (typeof value !== 'boolean') errors.push(typeError(path, type, value));
      return value;
    case 'object':
      return checkDict(value, path, errors) ?? value;
    case 'str[]':
    case 'object[]': {
      if (!Array.isArray(value)) {
        errors.push(typeError(path, type, value));
        return value;
      }
      if (type === 'str[]') {
        value.forEach((item, index) => {
          if (typeof item !== 'string') errors.push(typeError(`${path}[${index}]`, 'str', item));
        });
        return value;
      }
      return value.map((item, index) => checkDict(item, `${path}[${index}]`, errors) ?? item);
    }
    default: {
      // A nested model: pydantic's Model.validate takes a dict, or what dict() makes a dict of.
      const entries = value instanceof JsonObject ? value.entries : dictEntries(value);
      if (entries === undefined || entries.some(([key]) => typeof key !== 'string')) {
        errors.push(typeError(path, 'object', value));
        return value;
      }
      const nested: Array<[string, JsonValue]> = [];
      checkFields(type.object, new JsonObject(entries as Array<[string, JsonValue]>), path, nested, errors);
      return new JsonObject(nested);
    }
  }
}

/**
 * Whether checkFields would find nothing wrong with a body JSON.parse read from canonical text (json-text.ts
 * readCanonical: each number is the one its text says) and change nothing of it: every field present with exactly
 * its type, absent where it may be, null where it is Optional. False where checkFields would find an error, and
 * where it might coerce (a dict given as pairs) or must read a number's text (an integral number beyond 2^53):
 * there the lossless checks decide. Nothing here is built; a body that passes is as checkFields would pass it.
 */
export function plainFieldsValid(fields: readonly FieldSpec[], body: Record<string, unknown>): boolean {
  for (const field of fields) {
    const value = body[field.name];
    if (value === undefined) {
      if (field.required) return false;
    } else if (value === null) {
      if (!field.nullable) return false;
    } else if (!plainValueValid(field.type, value)) return false;
  }
  return true;
}

const isObjectOfJson = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function plainValueValid(type: FieldType, value: unknown): boolean {
  switch (type) {
    case 'str':
      return typeof value === 'string';
    case 'int':
      // Digits in either writer's text up to 2^53; past it Python's int and float are told apart by the text alone.
      return typeof value === 'number' && Number.isSafeInteger(value);
    case 'bool':
      return typeof value === 'boolean';
    case 'object':
      return isObjectOfJson(value);
    case 'str[]':
      return Array.isArray(value) && value.every((item) => typeof item === 'string');
    case 'object[]':
      return Array.isArray(value) && value.every(isObjectOfJson);
    default:
      return isObjectOfJson(value) && plainFieldsValid(type.object, value);
  }
}
