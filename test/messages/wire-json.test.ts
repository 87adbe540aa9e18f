import { describe, expect, test } from 'vitest';
import { pythonFloat, pythonJson, pythonString } from '../../src/messages/wire-json.js';

// Expected texts are what CPython's json.dumps prints for the same values.
describe('pythonJson writes what json.dumps writes', () => {
  test.each([
    [0.5, '0.5'],
    [-1.25, '-1.25'],
    [1e-4, '0.0001'],
    [1e-5, '1e-05'],
    [1.5e-7, '1.5e-07'],
    [123456.789, '123456.789'],
    [1e15 + 0.5, '1000000000000000.5'],
    [1e16, '1e+16'],
    [1.5e16, '1.5e+16'],
    [1e21, '1e+21'],
    [12345678901234567890, '1.2345678901234567e+19'],
    [1.7976931348623157e308, '1.7976931348623157e+308'],
    [5e-324, '5e-324'],
    [0.1 + 0.2, '0.30000000000000004'],
  ])('float %s -> %s', (value, text) => {
    expect(pythonJson(value)).toBe(text);
  });

  test('integral numbers print as integers', () => {
    expect(pythonJson(42)).toBe('42');
    expect(pythonJson(-7)).toBe('-7');
    expect(pythonJson(9007199254740994)).toBe('9007199254740994');
    expect(pythonJson(-0)).toBe('0');
    expect(pythonFloat(-0)).toBe('-0.0');
  });

  test('strings escape everything outside printable ASCII, in lowercase hex', () => {
    expect(pythonString('a\u2028b\u00ff\u{1F600}\u0000\u001f\u007f/')).toBe('"a\\u2028b\\u00ff\\ud83d\\ude00\\u0000\\u001f\\u007f/"');
    expect(pythonString('"\\\n\r\t\b\f')).toBe('"\\"\\\\\\n\\r\\t\\b\\f"');
    expect(pythonString('plain text')).toBe('"plain text"');
  });

  test('objects and arrays use ", " and ": " separators, empty ones stay compact', () => {
    expect(pythonJson({ a: [1, 'x', null, true, false], b: {}, c: [] })).toBe('{"a": [1, "x", null, true, false], "b": {}, "c": []}');
    expect(pythonJson({ 'k\u00e9y': { nested: { deep: 1 } } })).toBe('{"k\\u00e9y": {"nested": {"deep": 1}}}');
  });
});
