/**
 * decodeConsumed sits under both the Kafka and the `--from` path, so a value
 * gets the same error class and reason whichever way it arrived.
 */
import { describe, expect, it } from 'vitest';
import { PermanentError } from '../../src/core/errors.js';
import { decodeConsumed } from '../../src/investigate/record-decoder.js';
import type { ConsumedRecord } from '../../src/transport/port.js';

const UNRESOLVED = 'thoth.investigator.unresolved-package';

function record(value: string): ConsumedRecord {
  return { topic: UNRESOLVED, partition: 0, offset: 0, timestamp: 0, key: null, headers: {}, value, size: Buffer.byteLength(value) };
}

function failure(value: string): { errorClass: string; reason: string } {
  try {
    decodeConsumed(record(value), { maxBytes: 1 << 20 });
  } catch (error) {
    expect(error).toBeInstanceOf(PermanentError);
    return { errorClass: (error as PermanentError).errorClass, reason: (error as PermanentError).message };
  }
  throw new Error(`decoded ${value}`);
}

const body = (fields: Record<string, unknown>) =>
  JSON.stringify({
    component_name: 'adviser',
    service_version: '0.1.0',
    version: 'v1',
    package_name: 'flask',
    index_url: 'https://index.example/simple',
    package_version: '2.0.1',
    solver: null,
    ...fields,
  });

describe('decodeConsumed', () => {
  it.each([['a JSON string', '"a string"']])('%s is NotAnObject and says it is a JSON string', (_, value) => {
    expect(failure(value)).toEqual({
      errorClass: 'NotAnObject',
      reason: expect.stringMatching(/JSON string.*; a unresolved-package message is a JSON object$/),
    });
  });

  it.each([
    ['a truncated object', '{"package_name": '],
    ['a truncated array', '[1, 2'],
    ['an unterminated string', '"a string'],
    // A recorded line's string "value" is the raw body (SPEC §7 keeps non-JSON bodies): plain text is not JSON.
    ['plain text', 'a string'],
  ])('%s is NotJson', (_, value) => {
    expect(failure(value)).toEqual({ errorClass: 'NotJson', reason: expect.stringContaining('not valid JSON') });
  });

  it('an empty body version is NoHandlerForVersion, not v1', () => {
    expect(failure(body({ version: '' }))).toEqual({
      errorClass: 'NoHandlerForVersion',
      reason: expect.stringContaining('version "" (an empty version'),
    });
  });

  it('an absent body version reads as v1', () => {
    const { version: _, ...rest } = JSON.parse(body({})) as Record<string, unknown>;
    expect(decodeConsumed(record(JSON.stringify(rest)), { maxBytes: 1 << 20 }).type.name).toBe('unresolved-package');
  });
});

describe('bodies read as upstream reads them', () => {
  const valid = body({ package_name: 'flask', index_url: 'https://index.example/simple' });

  it('bytes that are not UTF-8 are no message (upstream decodes UTF-8 before json.loads)', () => {
    const bytes = Buffer.concat([Buffer.from([0xff]), Buffer.from(valid)]);
    expect(() => decodeConsumed({ ...record(bytes.toString('utf8')), raw: { value: bytes } }, { maxBytes: 1 << 20 })).toThrow(
      'the value is not valid UTF-8 text',
    );
  });

  it("Python's NaN is JSON to upstream (in a field it ignores), and no string", () => {
    const withNaN = valid.replace(/}$/, ', "surprise": NaN}');
    expect(decodeConsumed(record(withNaN), { maxBytes: 1 << 20 }).message.package_name).toBe('flask');
    expect(failure(valid.replace('"flask"', 'NaN'))).toEqual({
      errorClass: 'ValidationError',
      reason: expect.stringContaining("field 'package_name' must be str"),
    });
  });
});
