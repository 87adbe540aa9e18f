/**
 * `tail` tells a valid body from its fields as JSON.parse read them when the text is canonical (every number
 * the one its text says), without walking the lossless value: for every body, its verdict, errors and message
 * must be those of the full check on the lossless value (validateMessage), whatever the fields hold.
 */
import { describe, expect, it } from 'vitest';
import { MESSAGE_TYPES, type MessageType } from '../../src/messages/catalogue.js';
import type { FieldSpec, FieldType } from '../../src/messages/fields.js';
import { parseJsonText } from '../../src/messages/json-text.js';
import { parseEnvelopeLine } from '../../src/messages/ndjson.js';
import { decodeEnvelope, decodeRecord, type DecodedMessage } from '../../src/messages/records.js';
import { validateMessage, wireFields } from '../../src/messages/validate.js';
import { pythonJson } from '../../src/messages/wire-json.js';

function good(type: FieldType): unknown {
  if (typeof type === 'object') return Object.fromEntries(type.object.map((f) => [f.name, good(f.type)]));
  switch (type) {
    case 'str':
      return 'text é "q" ✓';
    case 'int':
      return 42;
    case 'bool':
      return true;
    case 'object':
      return { nested: { list: [1, 2.5, null, 'x'] }, n: 3 };
    case 'str[]':
      return ['a', 'b'];
    case 'object[]':
      return [{ type: 'INFO' }, {}];
  }
}

/** JSON texts a field may be given: right, wrong, coercible, numbers whose text matters. */
const OTHERS = [
  '"x"',
  '""',
  '0',
  '7',
  '-3',
  '1.5',
  '1.0',
  '1e3',
  '-0',
  '9007199254740991',
  '9007199254740993',
  '10000000000000000',
  '123456789012345678901234',
  'true',
  'false',
  'null',
  '[]',
  '{}',
  '[["a", 1]]',
  '[["a", 1], ["b", 2]]',
  '["ab"]',
  '["x", "y"]',
  '[1, 2]',
  '[{}]',
  '[{"a": 1}, "x"]',
  '{"a": [1]}',
  '{"10": 1, "2": 2}',
];

function bodies(type: MessageType): string[] {
  const fields: readonly FieldSpec[] = wireFields(type);
  const base = Object.fromEntries(fields.map((f) => [f.name, good(f.type)]));
  base.version = type.version;
  const texts: string[] = [];
  const both = (value: unknown) => texts.push(JSON.stringify(value), pythonJson(value));
  both(base);
  both(Object.fromEntries(fields.filter((f) => f.required).map((f) => [f.name, base[f.name]])));
  both({ ...base, unknown_field: 1 });
  for (const field of fields) {
    const { [field.name]: _dropped, ...without } = base;
    both(without);
    for (const other of OTHERS) {
      // The field's value spliced in as text, so that numbers keep the text given (1.0, 1e3, big ints).
      const marker = '"__value__"';
      for (const text of [JSON.stringify({ ...base, [field.name]: '__value__' }), pythonJson({ ...base, [field.name]: '__value__' })])
        texts.push(text.replace(marker, other));
    }
    if (typeof field.type === 'object')
      for (const inner of field.type.object)
        for (const other of OTHERS) {
          const nested = { ...(base[field.name] as object), [inner.name]: '__value__' };
          texts.push(JSON.stringify({ ...base, [field.name]: nested }).replace('"__value__"', other));
        }
  }
  return texts;
}

describe('the quick check of a canonical body', () => {
  it('gives the verdict, errors and message of the full check for every field given every kind of value', () => {
    let checked = 0;
    let quick = 0;
    for (const type of MESSAGE_TYPES) {
      for (const text of bodies(type)) {
        const parsed = parseJsonText(text);
        if (!parsed.ok) throw new Error(`test body is not JSON: ${text}`);
        const full = validateMessage(type, parsed.value);
        const topic = `dev.${type.baseTopic}`;
        // As tail reads a record, and as replay reads a recorded line.
        const consumed = decodeRecord(
          { topic, key: null, headers: {}, value: text, timestamp: 0, partition: 0, offset: 0, size: text.length },
          'dev',
        );
        const line = parseEnvelopeLine(`{"topic":${JSON.stringify(topic)},"key":null,"headers":{},"value":${text},"timestamp":0}`, 1);
        const recorded = decodeEnvelope(line.envelope, 'dev', line.canonical);
        for (const [how, decoded] of [
          ['consumed', consumed],
          ['recorded', recorded],
        ] as Array<[string, DecodedMessage]>) {
          const validation = decoded.validation!;
          const what = `${how} ${type.name}: ${text}`;
          const versionRefused = !validation.ok && validation.errors.some((e) => e.rule === 'known-version');
          if (!versionRefused) {
            expect(validation.ok, what).toBe(full.ok);
            if (full.ok && validation.ok) {
              expect(validation.message, what).toEqual(full.message);
              quick++;
            } else if (!full.ok && !validation.ok) expect(validation.errors, what).toEqual(full.errors);
          }
          checked++;
        }
      }
    }
    // The corpus holds valid and invalid bodies of every type.
    expect(checked).toBeGreaterThan(5_000);
    expect(quick).toBeGreaterThan(500);
  });
});
