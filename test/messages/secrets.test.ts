import { describe, expect, test } from 'vitest';
import { messageType } from '../../src/messages/catalogue.js';
import { envelopeOfRecord } from '../../src/messages/records.js';
import { formatEnvelopeLine } from '../../src/messages/ndjson.js';
import { MASK, maskEnvelopeSecrets, maskSecrets } from '../../src/messages/secrets.js';

describe('maskSecrets', () => {
  test('every key containing "password" with a value is masked, at any depth, whatever its case', () => {
    const value = {
      base_registry_password: 'hunter2',
      output_registry_password: null,
      registry_user: 'me',
      nested: { DB_PASSWORD: 42, list: [{ passwordHash: { x: 1 } }, 'password'] },
    };
    expect(maskSecrets(value)).toEqual({
      base_registry_password: MASK,
      output_registry_password: null,
      registry_user: 'me',
      nested: { DB_PASSWORD: MASK, list: [{ passwordHash: MASK }, 'password'] },
    });
  });

  test('the input is not changed and key order is kept', () => {
    const value = { a: 1, registry_password: 's', z: { password: 'p' } };
    const masked = maskSecrets(value);
    expect(value).toEqual({ a: 1, registry_password: 's', z: { password: 'p' } });
    expect(Object.keys(masked)).toEqual(['a', 'registry_password', 'z']);
  });

  test('scalars and arrays pass through', () => {
    expect(maskSecrets('text')).toBe('text');
    expect(maskSecrets(null)).toBeNull();
    expect(maskSecrets([1, { password: 'x' }])).toEqual([1, { password: MASK }]);
  });

  test('the catalogue marks exactly the password fields as secret', () => {
    const secretFields = ['build-analysis-trigger', 'package-extract-trigger'].flatMap((name) =>
      messageType(name)
        .fields.filter((f) => f.secret)
        .map((f) => f.name),
    );
    expect(secretFields).toEqual(['base_registry_password', 'output_registry_password', 'registry_password']);
  });
});

describe('maskEnvelopeSecrets of a consumed record', () => {
  const line = (value: string) => {
    const envelope = envelopeOfRecord({
      topic: 't.x',
      partition: 0,
      offset: 0,
      timestamp: 1,
      key: 'k',
      headers: {},
      value,
      size: value.length,
    });
    const { masked, changed } = maskEnvelopeSecrets(envelope);
    return { changed, value: JSON.parse(formatEnvelopeLine(masked)).value };
  };

  test('a body without secrets is printed byte for byte', () => {
    const body = '{"b": 1.0, "a": "https://index.example/simple", "10": [9007199254740993]}';
    const envelope = envelopeOfRecord({ topic: 't.x', partition: 0, offset: 0, timestamp: 1, key: 'k', headers: {}, value: body, size: 1 });
    const { masked, changed } = maskEnvelopeSecrets(envelope);
    expect(changed).toBe(false);
    expect(formatEnvelopeLine(masked)).toContain(`"value":${body},`);
  });

  test('a password key, a URL with user info, and either spelled with escapes are masked', () => {
    expect(line('{"registry_password": "s3cret"}')).toEqual({ changed: true, value: { registry_password: MASK } });
    expect(line('{"url": "https://alice:pw@index.example/simple"}')).toEqual({
      changed: true,
      value: { url: `https://${MASK}@index.example/simple` },
    });
    expect(line('{"registry_pass\\u0077ord": "s3cret"}')).toEqual({ changed: true, value: { registry_password: MASK } });
    expect(line('{"url": "https://alice:pw\\u0040index.example/simple"}')).toEqual({
      changed: true,
      value: { url: `https://${MASK}@index.example/simple` },
    });
  });
});
