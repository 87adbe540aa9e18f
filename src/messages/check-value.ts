/**
 * Strict checking of one field value, with pydantic v1 `Strict*` semantics:
 * no coercion ("1" is no int, 1 is no str, "true" is no bool), Optional
 * means absent or null, defaults fill absent fields, null is refused for a
 * field that is not Optional, unknown keys are dropped.
 */
import { typeLabel, type FieldSpec, type FieldType } from './fields.js';

export interface FieldError {
  /** Dotted path, e.g. `metadata.package_name`, `justification[2]`, or `(body)` for the whole value. */
  field: string;
  /** The rule broken: `required`, `not null`, `type: expected int`, `json`, `empty`, `pep440`, ... */
  rule: string;
  /** A full sentence naming the field and the rule; never the value (it may be a secret). */
  message: string;
}

const EXPECTED: Record<string, string> = {
  str: 'a JSON string',
  int: 'a JSON integer (no quotes, no fraction)',
  bool: 'true or false (no quotes)',
  object: 'a JSON object',
  'str[]': 'an array of JSON strings',
  'object[]': 'an array of JSON objects',
};

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What a value is, in words, without showing it. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
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

function join(prefix: string, name: string): string {
  return prefix ? `${prefix}.${name}` : name;
}

/** Fills `out` with the wire-ordered, validated fields of `input`; returns the errors found. */
export function checkFields(
  fields: readonly FieldSpec[],
  input: Record<string, unknown>,
  prefix: string,
  out: Record<string, unknown>,
  errors: FieldError[],
): void {
  for (const field of fields) {
    const path = join(prefix, field.name);
    const present = Object.hasOwn(input, field.name) && input[field.name] !== undefined;
    if (!present) {
      if (field.required) {
        errors.push({ field: path, rule: 'required', message: `field '${path}' is required (${typeLabel(field.type)})` });
      } else if (field.default !== undefined) {
        // Copy object defaults so that no two messages share (and mutate) one default.
        const fallback = typeof field.default === 'object' ? structuredClone(field.default) : field.default;
        out[field.name] = checkValue(field.type, fallback, path, errors);
      } else {
        out[field.name] = null;
      }
      continue;
    }
    const value = input[field.name];
    if (value === null) {
      if (field.nullable) out[field.name] = null;
      else errors.push({ field: path, rule: 'not null', message: `field '${path}' must not be null (${typeLabel(field.type)})` });
      continue;
    }
    out[field.name] = checkValue(field.type, value, path, errors);
  }
}

/** The checked value (nested objects rebuilt in wire order), pushing errors on a mismatch. */
function checkValue(type: FieldType, value: unknown, path: string, errors: FieldError[]): unknown {
  switch (type) {
    case 'str':
      if (typeof value !== 'string') errors.push(typeError(path, type, value));
      return value;
    case 'int':
      if (typeof value !== 'number' || !Number.isInteger(value)) errors.push(typeError(path, type, value));
      return value;
    case 'bool':
      if (typeof value !== 'boolean') errors.push(typeError(path, type, value));
      return value;
    case 'object':
      if (!isPlainObject(value)) errors.push(typeError(path, type, value));
      return value;
    case 'str[]':
    case 'object[]': {
      if (!Array.isArray(value)) {
        errors.push(typeError(path, type, value));
        return value;
      }
      const element = type === 'str[]' ? 'str' : 'object';
      value.forEach((item, index) => checkValue(element, item, `${path}[${index}]`, errors));
      return value;
    }
    default: {
      if (!isPlainObject(value)) {
        errors.push(typeError(path, 'object', value));
        return value;
      }
      const nested: Record<string, unknown> = {};
      checkFields(type.object, value, path, nested, errors);
      return nested;
    }
  }
}
