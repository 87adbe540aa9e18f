import { describe, expect, test } from 'vitest';
import { messageType } from '../../src/messages/catalogue.js';
import { MASK, maskSecrets } from '../../src/messages/secrets.js';

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
