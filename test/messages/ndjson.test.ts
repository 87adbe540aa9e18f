import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { EnvelopeLineError, formatEnvelopeLine, parseBody, parseEnvelopeLine, readEnvelopes } from '../../src/messages/ndjson.js';

const body = { component_name: 'solver', service_version: '0.1.0', version: 'v1', package_name: 'requests' };

function problem(text: string, line = 7): string {
  try {
    parseEnvelopeLine(text, line, 'rec.ndjson');
  } catch (error) {
    expect(error).toBeInstanceOf(EnvelopeLineError);
    return (error as Error).message;
  }
  throw new Error(`line was accepted: ${text}`);
}

describe('SPEC §7 lines', () => {
  it('reads a thoth line with every field', () => {
    const line = JSON.stringify({
      topic: 'thoth.solver.solved-package',
      key: 'requests==2.25.1',
      headers: { a: 'b' },
      value: body,
      timestamp: 1638007245000,
      partition: 2,
      offset: 9,
    });
    expect(parseEnvelopeLine(line, 1)).toMatchObject({
      format: 'thoth',
      envelope: {
        topic: 'thoth.solver.solved-package',
        key: 'requests==2.25.1',
        headers: { a: 'b' },
        value: body,
        timestamp: 1638007245000,
        partition: 2,
        offset: 9,
        // The value exactly as the line wrote it: what replay sends.
        body: JSON.stringify(body),
      },
    });
  });

  it('takes an ISO-8601 timestamp and defaults key and headers', () => {
    const { envelope } = parseEnvelopeLine(JSON.stringify({ topic: 't.x', value: body, timestamp: '2021-11-27T10:00:45.000Z' }), 1);
    expect(envelope).toMatchObject({
      topic: 't.x',
      key: null,
      headers: {},
      value: body,
      timestamp: Date.parse('2021-11-27T10:00:45.000Z'),
    });
  });

  it('writes the keys in the order SPEC §7 lists them, and reads its own output back', () => {
    const envelope = { offset: 3, partition: 0, timestamp: 5, value: body, headers: {}, key: null, topic: 'thoth.repo-init' };
    const line = formatEnvelopeLine(envelope);
    expect(Object.keys(JSON.parse(line))).toEqual(['topic', 'key', 'headers', 'value', 'timestamp', 'partition', 'offset']);
    expect(parseEnvelopeLine(line, 1).envelope).toMatchObject(envelope);
  });
});

describe('kcat -J lines', () => {
  const kcat = {
    topic: 'dev.thoth.solver.solved-package',
    partition: 0,
    offset: 4,
    tstype: 'create',
    ts: 1638007245000,
    broker: 1,
    headers: ['thoth-adviser-id', 'abc', 'x', 'y'],
    key: 'requests==2.25.1',
    payload: '{"component_name": "solver", "version": "v1"}',
  };

  it('turns the flat header list into an object, parses the payload and keeps its exact text', () => {
    const parsed = parseEnvelopeLine(JSON.stringify(kcat), 1);
    expect(parsed.format).toBe('kcat');
    expect(parsed.body).toBe(kcat.payload);
    expect(parsed.envelope).toMatchObject({
      topic: kcat.topic,
      key: kcat.key,
      headers: { 'thoth-adviser-id': 'abc', x: 'y' },
      value: { component_name: 'solver', version: 'v1' },
      timestamp: kcat.ts,
      partition: 0,
      offset: 4,
    });
  });

  it('keeps a payload that is not JSON as text, and a missing one as null', () => {
    expect(parseEnvelopeLine(JSON.stringify({ ...kcat, payload: 'not json' }), 1).envelope.value).toBe('not json');
    const tombstone = parseEnvelopeLine(JSON.stringify({ ...kcat, payload: null, key: null, headers: undefined }), 1);
    expect(tombstone.envelope).toMatchObject({ value: null, key: null, headers: {} });
    expect(tombstone.body).toBeNull();
  });
});

describe('bad lines name the line and the field', () => {
  it.each([
    ['{"topic": ', /^rec\.ndjson:7: not valid JSON/],
    ['[1, 2]', /^rec\.ndjson:7: expected a JSON object, got an array$/],
    ['{"key": null, "value": {}, "timestamp": 1}', /field "topic" must be a non-empty string, got nothing/],
    ['{"topic": "t", "key": 5, "value": {}, "timestamp": 1}', /field "key" must be a string or null, got a number/],
    // Without a clock to stamp it (replay and investigate --from have one).
    ['{"topic": "t", "key": null, "value": {}}', /field "timestamp" is missing/],
    ['{"topic": "t", "value": {}, "timestamp": "yesterday"}', /field "timestamp" must be milliseconds since the epoch or an ISO-8601 date/],
    ['{"topic": "t", "value": {}, "timestamp": 1, "headers": {"a": 1}}', /field "headers.a" must be a string, got a number/],
    ['{"topic": "t", "key": null, "timestamp": 1}', /field "value" is missing/],
    ['{"topic": "t", "value": {}, "timestamp": 1, "offset": -1}', /field "offset" must be an integer from 0 to 9007199254740991, got -1/],
    // Kafka numbers partitions with a 32-bit integer: a larger one is no partition (replay --keep-partitions would send to it).
    ['{"topic": "t", "value": {}, "timestamp": 1, "partition": 2147483648}', /field "partition" must be an integer from 0 to 2147483647/],
    // A long bad value is cut, as every value shown in an error.
    [
      `{"topic": "t", "value": {}, "timestamp": 1, "offset": "${'9'.repeat(500)}"}`,
      /field "offset" must be an integer from 0 to \d+, got "9{60}…"$/,
    ],
    [
      '{"topic": "t", "ts": 1, "payload": null, "partition": 1e21}',
      /field "partition" must be an integer from 0 to 2147483647, got 1e\+21/,
    ],
    ['{"topic": "t", "ts": 1, "payload": 5}', /field "payload" must be a string or null, got a number/],
  ])('%s', (text, expected) => {
    expect(problem(text)).toMatch(expected);
  });
});

describe('streaming a recorded file', () => {
  it('yields every line with its number, blank lines counted, bad lines as errors without stopping', async () => {
    const good = formatEnvelopeLine({ topic: 'thoth.repo-init', key: null, headers: {}, value: body, timestamp: 1 });
    const input = Readable.from([`${good}\n\n`, `{oops\n${good}\r\n`, good]);
    const seen: Array<[number, string]> = [];
    for await (const entry of readEnvelopes(input, 'in.ndjson')) {
      seen.push([entry.line, 'error' in entry ? entry.error.message : entry.parsed.envelope.topic]);
    }
    expect(seen).toEqual([
      [1, 'thoth.repo-init'],
      [3, expect.stringMatching(/^in\.ndjson:3: not valid JSON/)],
      [4, 'thoth.repo-init'],
      [5, 'thoth.repo-init'],
    ]);
  });
});

describe('parseBody', () => {
  it('parses JSON objects and arrays and leaves anything else as text', () => {
    expect(parseBody('{"a": 1}')).toEqual({ a: 1 });
    expect(parseBody('[1]')).toEqual([1]);
    expect(parseBody('"quoted"')).toBe('"quoted"');
    expect(parseBody('{broken')).toBe('{broken');
    expect(parseBody(null)).toBeNull();
  });
});
