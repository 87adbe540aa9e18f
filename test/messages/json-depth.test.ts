/**
 * The nesting limit of JSON bodies (src/messages/json-depth.ts): refused before any parser or
 * walk runs, at any depth, with the reason; every walk over a value that was built deeper is bounded.
 */
import { describe, expect, test } from 'vitest';
import { MAX_JSON_DEPTH, nestingBeyond } from '../../src/messages/json-depth.js';
import { parseCanonical, parseJsonText } from '../../src/messages/json-text.js';
import { parseEnvelopeLine } from '../../src/messages/ndjson.js';
import { decodeRecord } from '../../src/messages/records.js';
import { carriesSecrets, maskSecrets, maskedSecretFields, scrubSecrets } from '../../src/messages/secrets.js';

const nested = (depth: number, inner = '') => `${'['.repeat(depth)}${inner}${']'.repeat(depth)}`;

/** An object `depth` levels deep built in JavaScript, without JSON. */
function built(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = { registry_password: 'hunter2' };
  for (let i = 0; i < depth; i++) value = { inner: value };
  return value;
}

describe('the nesting limit', () => {
  test('counts objects and arrays, not brackets inside strings', () => {
    expect(nestingBeyond(nested(MAX_JSON_DEPTH))).toBeUndefined();
    expect(nestingBeyond(nested(MAX_JSON_DEPTH + 1))).toBe(MAX_JSON_DEPTH);
    expect(nestingBeyond(`["${'['.repeat(2000)}"]`)).toBeUndefined();
    expect(nestingBeyond(`["\\"${'{'.repeat(2000)}"]`)).toBeUndefined();
    expect(nestingBeyond(`${'{"a":'.repeat(600)}1${'}'.repeat(600)}`)).toBe(5 * MAX_JSON_DEPTH);
  });

  test.each([MAX_JSON_DEPTH + 1, 2_000, 100_000])(
    'JSON nested %i levels deep is refused with the reason, not a stack overflow',
    (depth) => {
      expect(parseJsonText(nested(depth))).toEqual({
        ok: false,
        offset: MAX_JSON_DEPTH,
        reason: `nested more than ${MAX_JSON_DEPTH} levels deep (objects and arrays inside one another)`,
      });
      expect(parseJsonText(`{"a": 1, "b": ${nested(depth)}}`).ok).toBe(false);
      expect(parseCanonical(nested(depth))).toBeUndefined();
    },
  );

  test('JSON at the limit is read as before', () => {
    const parsed = parseJsonText(`{"x": ${nested(MAX_JSON_DEPTH - 1, '1.0')}}`);
    expect(parsed.ok).toBe(true);
  });

  test('a recorded line whose value nests too deep is a bad line naming the reason', () => {
    const line = `{"topic":"thoth.repo-init","key":null,"headers":{},"timestamp":1,"value":${nested(5_000)}}`;
    expect(() => parseEnvelopeLine(line, 7, 'in.ndjson')).toThrow(/^in\.ndjson:7: not valid JSON: nested more than 512 levels deep/);
    // A value at the limit sits one level inside the line: still a good line.
    const atLimit = `{"topic":"thoth.repo-init","key":null,"headers":{},"timestamp":1,"value":${nested(MAX_JSON_DEPTH)}}`;
    expect(parseEnvelopeLine(atLimit, 1).envelope.topic).toBe('thoth.repo-init');
  });

  test('a consumed record nested too deep decodes as invalid, with the reason', () => {
    const decoded = decodeRecord({
      topic: 'thoth.repo-init',
      partition: 0,
      offset: 0,
      timestamp: 0,
      key: null,
      headers: {},
      value: `{"project_url": ${nested(50_000)}}`,
      size: 100_000,
    });
    expect(decoded.validation).toMatchObject({ ok: false, errors: [{ rule: 'json' }] });
    expect(decoded.validation?.ok === false && decoded.validation.errors[0].message).toMatch(/nested more than 512 levels deep/);
  });
});

describe('walks over a value built deeper than any parsed body', () => {
  const deep = built(50_000);

  test('masking, scrubbing and the secret checks are bounded and hide what they did not look at', () => {
    expect(carriesSecrets(deep)).toBe(true);
    expect(JSON.stringify(maskSecrets(deep))).not.toContain('hunter2');
    expect(JSON.stringify(scrubSecrets(deep))).not.toContain('hunter2');
    expect(maskedSecretFields(deep)).toEqual([]);
  });

  test('a secret within reach is still found and masked by name', () => {
    expect(maskSecrets(built(3))).toEqual({ inner: { inner: { inner: { registry_password: '***' } } } });
    expect(maskedSecretFields(maskSecrets(built(2)))).toEqual(['inner.inner.registry_password']);
  });
});
