/**
 * Reading JSON as Python reads it, without JavaScript's losses (src/messages/json-text.ts), and
 * writing it back as upstream's `.json()` would (src/messages/wire-json.ts). The comparison with
 * upstream's own models is test/messages/upstream-compat.int.test.ts; these are the cases one by one.
 */
import { describe, expect, test } from 'vitest';
import { messageType } from '../../src/messages/catalogue.js';
import { JsonNumber, JsonObject, fromPlain, parseJsonText, toPlain } from '../../src/messages/json-text.js';
import { buildMessage, decodeMessage, serializeMessage } from '../../src/messages/validate.js';
import { pythonJson } from '../../src/messages/wire-json.js';

const roundTrip = (text: string) => {
  const parsed = parseJsonText(text);
  if (!parsed.ok) throw new Error(parsed.reason);
  return pythonJson(parsed.value);
};

describe('numbers as written', () => {
  test.each([
    ['9007199254740993', '9007199254740993'],
    ['-9007199254740993', '-9007199254740993'],
    ['100000000000000000000000000000', '100000000000000000000000000000'],
    ['1.0', '1.0'],
    ['-0.0', '-0.0'],
    ['-0', '0'],
    ['1e16', '1e+16'],
    ['1E3', '1000.0'],
    ['1e-7', '1e-07'],
    ['1.5e300', '1.5e+300'],
    ['1e400', 'Infinity'],
    ['-1e-400', '-0.0'],
    ['NaN', 'NaN'],
    ['-Infinity', '-Infinity'],
    ['0.1', '0.1'],
  ])('%s is written back as Python writes it: %s', (text, written) => {
    expect(roundTrip(`[${text}]`)).toBe(`[${written}]`);
  });

  test('ints and floats are told apart as Python tells them', () => {
    const parsed = parseJsonText('[1, 1.0, 1e3, -0, NaN]');
    expect(parsed.ok && (parsed.value as JsonNumber[]).map((n) => n.isInteger)).toEqual([true, false, false, true, false]);
  });

  test('an integer of more than 4300 digits is refused, as Python 3.11 refuses it', () => {
    expect(parseJsonText(`[${'9'.repeat(4301)}]`)).toMatchObject({ ok: false, reason: 'an integer of more than 4300 digits' });
    expect(parseJsonText(`[${'9'.repeat(4300)}]`).ok).toBe(true);
  });

  test('a number written in JavaScript is an int in digits when integral, whatever its size', () => {
    expect(pythonJson(fromPlain({ a: 1e16, b: 2.5, c: -0, d: 1e-7 }))).toBe('{"a": 10000000000000000, "b": 2.5, "c": -0.0, "d": 1e-07}');
  });
});

describe('objects as sent', () => {
  test('keys keep their order, integer-like keys included', () => {
    expect(roundTrip('{"b": 1, "10": 2, "2": 3, "a": {"1": [], "0": {}}}')).toBe('{"b": 1, "10": 2, "2": 3, "a": {"1": [], "0": {}}}');
  });

  test('a __proto__ key is data, kept in place, and sets no prototype', () => {
    const parsed = parseJsonText('{"__proto__": {"polluted": true}, "x": 1}');
    expect(parsed.ok && pythonJson(parsed.value)).toBe('{"__proto__": {"polluted": true}, "x": 1}');
    const plain = toPlain(parsed.ok && parsed.value) as Record<string, unknown>;
    expect(Object.getPrototypeOf(plain)).toBe(Object.prototype);
    expect(Object.keys(plain)).toEqual(['__proto__', 'x']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  test('a key sent twice keeps its first place and its last value, as a Python dict', () => {
    expect(roundTrip('{"a": 1, "b": 2, "a": 3}')).toBe('{"a": 3, "b": 2}');
  });

  test('strings are escaped as json.dumps escapes them (ASCII only, surrogate pairs, lone surrogates kept)', () => {
    expect(roundTrip('["é😀\\u2028\\ud800\\"\\\\\\u0000"]')).toBe('["\\u00e9\\ud83d\\ude00\\u2028\\ud800\\"\\\\\\u0000"]');
  });
});

describe('JSON Python refuses, thoth refuses', () => {
  test.each([
    '',
    ' ',
    '{"a": 1,}',
    '[01]',
    '[.5]',
    '[1.]',
    '{"a" 1}',
    '["\t"]',
    '/* c */ {}',
    '\ufeff{}',
    '[-NaN]',
    '[Infinityx]',
    '{"a": 1} {}',
  ])('%j', (text) => {
    expect(parseJsonText(text).ok).toBe(false);
  });

  test('NaN and Infinity inside strings stay strings', () => {
    expect(roundTrip('["NaN", "-Infinity"]')).toBe('["NaN", "-Infinity"]');
  });
});

describe('messages keep their bodies', () => {
  const body =
    '{"component_name": "c", "service_version": "1", "version": "v1", "webhook_payload": {"10": 1.0, "2": -0.0, "big": 9007199254740993, "__proto__": null}, "job_id": null}';

  test('a free-form object comes back byte for byte, and reads as plain values', () => {
    const type = messageType('kebechet-trigger');
    const decoded = decodeMessage(type, body);
    expect(decoded.ok && serializeMessage(type, decoded.message)).toBe(body);
    expect(decoded.ok && Object.keys(decoded.message.webhook_payload as object)).toEqual(['2', '10', 'big', '__proto__']);
  });

  test('an int field takes digits of any size and writes them so; 1.0 and 1e3 are floats, refused', () => {
    const type = messageType('adviser-trigger');
    const base = { component_name: 'c', service_version: '1', recommendation_type: 'latest' };
    const big = buildMessage(
      type,
      { ...base, limit: new JsonNumber('100000000000000000000') },
      { componentName: 'c', serviceVersion: '1' },
    );
    expect(big.ok && serializeMessage(type, big.message)).toContain('"limit": 100000000000000000000,');
    const fromJs = buildMessage(type, { ...base, limit: 1e16 }, { componentName: 'c', serviceVersion: '1' });
    expect(fromJs.ok && serializeMessage(type, fromJs.message)).toContain('"limit": 10000000000000000,');
    for (const text of ['1.0', '1e3', '1E+2']) {
      const decoded = decodeMessage(type, `{"component_name": "c", "service_version": "1", "recommendation_type": "l", "limit": ${text}}`);
      expect(decoded.ok ? [] : decoded.errors.map((e) => [e.field, e.rule])).toEqual([['limit', 'type: expected int']]);
    }
  });

  test('a dict field takes what Python dict() takes, and is written back as the object pydantic made', () => {
    const type = messageType('kebechet-trigger');
    const decoded = decodeMessage(
      type,
      '{"component_name": "c", "service_version": "1", "webhook_payload": [["b", 1], ["a", 2.0], ["b", 3]]}',
    );
    expect(decoded.ok && serializeMessage(type, decoded.message)).toBe(
      '{"component_name": "c", "service_version": "1", "version": "v1", "webhook_payload": {"b": 3, "a": 2.0}, "job_id": null}',
    );
    const empty = decodeMessage(type, '{"component_name": "c", "service_version": "1", "webhook_payload": []}');
    expect(empty.ok && (empty.message.webhook_payload as object)).toEqual({});
    const bad = decodeMessage(type, '{"component_name": "c", "service_version": "1", "webhook_payload": [[1, 2]]}');
    expect(bad.ok ? [] : bad.errors.map((e) => [e.field, e.rule])).toEqual([['webhook_payload', 'key: expected str']]);
  });

  test('JsonObject entries are what the serialiser writes', () => {
    expect(
      pythonJson(
        new JsonObject([
          ['z', new JsonNumber('1')],
          ['a', new JsonNumber('1.0')],
        ]),
      ),
    ).toBe('{"z": 1, "a": 1.0}');
  });
});
