/**
 * JSON text exactly as Python's `json.dumps` writes it with its defaults,
 * which is what pydantic v1 `.json()` (and so thoth-messaging's producer)
 * puts on the wire: `", "` and `": "` separators, every character outside
 * printable ASCII escaped as `\uXXXX` (lowercase hex, surrogate pairs for
 * astral characters), floats in Python's repr form (`1e-05`, `1e+16`).
 *
 * Values read from the wire are json-text.ts' (JsonNumber, JsonObject): a
 * number is written as Python writes what it read (an int in its digits, a
 * float in repr form), an object in the order it was sent. A plain JavaScript
 * number, which does not remember whether it was `1` or `1.0`, is written as
 * an integer when it is integral below 1e16.
 */
import { JsonNumber, JsonObject, usePythonWriter } from './json-text.js';

const SHORT_ESCAPES: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' };
const NEEDS_ESCAPE = /["\\]|[^\x20-\x7e]/;
const NEEDS_ESCAPE_GLOBAL = /["\\]|[^\x20-\x7e]/g;

function escapeChar(char: string): string {
  return SHORT_ESCAPES[char] ?? `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

export function pythonString(text: string): string {
  // Splitting a JS string by code unit yields surrogate halves, which is exactly how Python escapes astral characters.
  return NEEDS_ESCAPE.test(text) ? `"${text.replace(NEEDS_ESCAPE_GLOBAL, escapeChar)}"` : `"${text}"`;
}

/** Python's `repr(float)`: shortest round-trip digits, exponent form outside 1e-4 <= |x| < 1e16. */
export function pythonFloat(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const [mantissa, exponentText] = value.toExponential().split('e') as [string, string];
  const exponent = Number(exponentText);
  const sign = value < 0 ? '-' : '';
  const digits = mantissa.replace('-', '').replace('.', '');
  if (exponent < -4 || exponent >= 16) {
    const rest = digits.slice(1);
    const magnitude = String(Math.abs(exponent)).padStart(2, '0');
    return `${sign}${digits[0]}${rest ? `.${rest}` : ''}e${exponent < 0 ? '-' : '+'}${magnitude}`;
  }
  if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
  const whole = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
  const fraction = digits.slice(exponent + 1);
  return `${sign}${whole}.${fraction || '0'}`;
}

/** Integral values print as Python ints up to 1e16, where Python's float repr would switch to an exponent anyway. */
function pythonNumber(value: number): string {
  return Number.isInteger(value) && Math.abs(value) < 1e16 ? String(value) : pythonFloat(value);
}

/** How Python writes the number it read from this JSON text: int(text) or float(text). */
export function pythonNumberText(number: JsonNumber): string {
  const text = number.text;
  if (number.isInteger) return text === '-0' ? '0' : text;
  return pythonFloat(number.valueOf());
}

/** Serialises a JSON value the way Python's `json.dumps(value)` does. */
export function pythonJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (value instanceof JsonNumber) return pythonNumberText(value);
  if (value instanceof JsonObject) return renderedObject(value.entries.map(([key, item]) => [key, pythonJson(item)]));
  switch (typeof value) {
    case 'string':
      return pythonString(value);
    case 'number':
      return pythonNumber(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      if (Array.isArray(value)) return `[${value.map(pythonJson).join(', ')}]`;
      return renderedObject(
        Object.entries(value as Record<string, unknown>)
          .filter(([, item]) => item !== undefined)
          .map(([key, item]) => [key, pythonJson(item)]),
      );
    default:
      throw new TypeError(`cannot serialise a ${typeof value} as JSON`);
  }
}

/** An object from keys and their already serialised values, in the order they must be written. */
export function renderedObject(entries: Array<[string, string]>): string {
  return `{${entries.map(([key, text]) => `${pythonString(key)}: ${text}`).join(', ')}}`;
}

usePythonWriter(pythonJson, pythonNumber);
