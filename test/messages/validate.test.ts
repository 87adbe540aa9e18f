import { describe, expect, test } from 'vitest';
import { messageType } from '../../src/messages/catalogue.js';
import {
  buildMessage,
  decodeMessage,
  formatErrors,
  serializeMessage,
  unknownFields,
  validateMessage,
  type FieldError,
} from '../../src/messages/validate.js';

const base = { component_name: 'thoth', service_version: '0.1.0' };
const pkg = { ...base, package_name: 'requests', package_version: '2.25.1', index_url: 'https://index.example/simple' };

function errorsOf(typeName: string, body: unknown): FieldError[] {
  const result = validateMessage(messageType(typeName), body);
  return result.ok ? [] : result.errors;
}

describe('strict types (pydantic v1 Strict*)', () => {
  // [why, type, body, field, rule]
  const rejected: Array<[string, string, unknown, string, string]> = [
    [
      '"1" is not an int',
      'advise-justification',
      { ...base, message: 'm', justification_type: 'INFO', count: '1', adviser_version: '1' },
      'count',
      'type: expected int',
    ],
    [
      'true is not an int',
      'advise-justification',
      { ...base, message: 'm', justification_type: 'INFO', count: true, adviser_version: '1' },
      'count',
      'type: expected int',
    ],
    ['1.5 is not an int', 'adviser-trigger', { ...base, recommendation_type: 'latest', limit: 1.5 }, 'limit', 'type: expected int'],
    ['"true" is not a bool', 'update-provides-source-distro', { ...pkg, value: 'true' }, 'value', 'type: expected bool'],
    ['1 is not a bool', 'update-provides-source-distro', { ...pkg, value: 1 }, 'value', 'type: expected bool'],
    ['1 is not a str', 'solved-package', { ...pkg, solver: 1 }, 'solver', 'type: expected str'],
    ['an object is not a str', 'solved-package', { ...pkg, solver: { name: 'x' } }, 'solver', 'type: expected str'],
    ['a string is not an object', 'kebechet-trigger', { ...base, webhook_payload: '{}' }, 'webhook_payload', 'type: expected object'],
    [
      'an array whose items are not [key, value] pairs is not an object',
      'kebechet-trigger',
      { ...base, webhook_payload: [1] },
      'webhook_payload',
      'type: expected object',
    ],
    ['a float is not an int', 'adviser-trigger', { ...base, recommendation_type: 'latest', limit: 2.5 }, 'limit', 'type: expected int'],
    [
      'a string is not a str[]',
      'hash-mismatch',
      { ...pkg, missing_from_source: 'abc', missing_from_database: [] },
      'missing_from_source',
      'type: expected str[]',
    ],
    [
      'elements are checked',
      'hash-mismatch',
      { ...pkg, missing_from_source: ['a', 2], missing_from_database: [] },
      'missing_from_source[1]',
      'type: expected str',
    ],
    [
      'object[] elements are checked',
      'adviser-trigger',
      { ...base, recommendation_type: 'latest', justification: [{}, 'x'] },
      'justification[1]',
      'type: expected object',
    ],
    [
      'nested model fields are checked',
      'kebechet-run-url-trigger',
      { ...base, metadata: { package_name: 7 } },
      'metadata.package_name',
      'type: expected str',
    ],
    ['the nested model must be an object', 'kebechet-run-url-trigger', { ...base, metadata: 'x' }, 'metadata', 'type: expected object'],
    ['required field absent', 'solved-package', pkg, 'solver', 'required'],
    ['null for a required field', 'solved-package', { ...pkg, solver: null }, 'solver', 'not null'],
    [
      'null for a defaulted, non-Optional field',
      'adviser-trigger',
      { ...base, recommendation_type: 'latest', dev: null },
      'dev',
      'not null',
    ],
    ['null for the nested model', 'kebechet-run-url-trigger', { ...base, metadata: null }, 'metadata', 'not null'],
    ['base fields are required', 'repo-init', { service_version: '1', project_url: 'u' }, 'component_name', 'required'],
    ['version must be a string', 'repo-init', { ...base, project_url: 'u', version: 1 }, 'version', 'type: expected str'],
    ['null version is refused', 'repo-init', { ...base, project_url: 'u', version: null }, 'version', 'not null'],
  ];

  test.each(rejected)('%s', (_, typeName, body, field, rule) => {
    const errors = errorsOf(typeName, body);
    expect(errors.map((e) => [e.field, e.rule])).toEqual([[field, rule]]);
    expect(errors[0].message).toContain(`'${field}'`);
  });

  test('error messages say what was expected and what was given, never the value', () => {
    const [error] = errorsOf('build-analysis-trigger', { ...base, base_registry_password: 12345678 });
    expect(error.message).toBe("field 'base_registry_password' must be str, a JSON string; got an integer");
    expect(error.message).not.toContain('12345678');
    expect(errorsOf('solved-package', pkg)[0].message).toBe("field 'solver' is required (str)");
    expect(errorsOf('adviser-trigger', { ...base, recommendation_type: 'x', debug: null })[0].message).toBe(
      "field 'debug' must not be null (bool)",
    );
  });

  test('every error is reported, in wire order', () => {
    const errors = errorsOf('solved-package', { component_name: 1, package_version: null });
    expect(errors.map((e) => `${e.field}:${e.rule}`)).toEqual([
      'component_name:type: expected str',
      'service_version:required',
      'package_name:required',
      'package_version:not null',
      'index_url:required',
      'solver:required',
    ]);
  });

  test('a body that is not an object is one error on (body)', () => {
    for (const body of [null, [1], 'text', 3, true, [[1, 'x']]]) {
      expect(errorsOf('solved-package', body).map((e) => [e.field, e.rule])).toEqual([['(body)', 'type: expected object']]);
    }
  });
});

describe('accepted bodies', () => {
  test('Optional fields may be absent or null and come back as null; defaults are filled', () => {
    const result = validateMessage(messageType('adviser-trigger'), { ...base, recommendation_type: 'latest', count: null });
    expect(result).toEqual({
      ok: true,
      message: {
        ...base,
        version: 'v5',
        recommendation_type: 'latest',
        dev: false,
        debug: false,
        authenticated: false,
        count: null,
        limit: null,
        origin: null,
        job_id: null,
        limit_latest_versions: null,
        re_run_adviser_id: null,
        source_type: null,
        kebechet_metadata: null,
        justification: null,
        stack_info: null,
      },
    });
  });

  test('the result is in wire order whatever the input order, and unknown fields are dropped', () => {
    const result = validateMessage(messageType('solved-package'), {
      solver: 's',
      extra: 1,
      index_url: 'i',
      package_version: 'v',
      package_name: 'n',
      ...base,
      version: 'v1',
    });
    expect(result.ok && Object.keys(result.message)).toEqual([
      'component_name',
      'service_version',
      'version',
      'package_name',
      'package_version',
      'index_url',
      'solver',
    ]);
  });

  test('a nested model is filled from its default and its unknown keys are dropped', () => {
    const type = messageType('kebechet-run-url-trigger');
    const empty = { message_justification: null, package_name: null, package_version: null, package_index: null };
    const absent = validateMessage(type, base);
    expect(absent.ok && absent.message.metadata).toEqual(empty);
    const given = validateMessage(type, { ...base, metadata: { package_index: 'x', other: 1, message_justification: 3 } });
    expect(given.ok && given.message.metadata).toEqual({ ...empty, message_justification: 3, package_index: 'x' });
    expect(given.ok && Object.keys(given.message.metadata as object)).toEqual(Object.keys(empty));
  });

  test('a version other than the default is kept (handlers choose by it)', () => {
    const result = validateMessage(messageType('solved-package'), { ...pkg, solver: 's', version: 'v2' });
    expect(result.ok && result.message.version).toBe('v2');
  });

  test('free-form objects and integers keep their values', () => {
    const payload = { action: 'opened', nested: [1, null, { deep: true }] };
    const result = validateMessage(messageType('kebechet-trigger'), { ...base, webhook_payload: payload });
    expect(result.ok && result.message.webhook_payload).toEqual(payload);
    const adviser = validateMessage(messageType('adviser-trigger'), { ...base, recommendation_type: 'latest', limit: 2.0, count: -3 });
    expect(adviser.ok && [adviser.message.limit, adviser.message.count]).toEqual([2, -3]);
  });

  test('defaults are not shared between messages', () => {
    const type = messageType('kebechet-run-url-trigger');
    const first = validateMessage(type, base);
    if (first.ok) (first.message.metadata as Record<string, unknown>).package_name = 'changed';
    const second = validateMessage(type, base);
    expect(second.ok && (second.message.metadata as Record<string, unknown>).package_name).toBeNull();
  });
});

describe('decodeMessage', () => {
  const type = messageType('solved-package');

  test.each([
    ['null value', null, 'empty'],
    ['empty string', '', 'empty'],
    ['whitespace', '  \n', 'empty'],
    ['not JSON', 'hello', 'json'],
    ['truncated JSON', '{"package_name": "x"', 'json'],
    ['a JSON array', '[1]', 'type: expected object'],
    ['a JSON string', '"text"', 'type: expected object'],
    ['a JSON number', '42', 'type: expected object'],
  ])('%s is an error on (body)', (_, raw, rule) => {
    const decoded = decodeMessage(type, raw);
    expect(decoded.ok).toBe(false);
    expect(!decoded.ok && decoded.errors.map((e) => [e.field, e.rule])).toEqual([['(body)', rule]]);
  });

  test('the value is the parsed JSON, or the raw text when it is not JSON', () => {
    expect(decodeMessage(type, 'not json').value).toBe('not json');
    expect(decodeMessage(type, '[1,2]').value).toEqual([1, 2]);
    expect(decodeMessage(type, '{"a": 1.0, "10": 2, "2": 3}').value).toEqual({ a: 1, 10: 2, 2: 3 });
    expect(decodeMessage(type, '{"solver": 1}').value).toEqual({ solver: 1 });
  });

  test('a JSON syntax error does not quote the body, which may hold a secret', () => {
    const decoded = decodeMessage(messageType('package-extract-trigger'), '{"registry_password": "hunter2", oops}');
    expect(!decoded.ok && formatErrors(decoded.errors)).toMatch(/^the package-extract-trigger message value is not valid JSON/);
    expect(!decoded.ok && formatErrors(decoded.errors)).not.toContain('hunter2');
  });

  test('a valid body decodes to the validated message', () => {
    const decoded = decodeMessage(type, JSON.stringify({ ...pkg, solver: 'solver-rhel-8-py38' }));
    expect(decoded.ok && decoded.message).toEqual({ ...pkg, version: 'v1', solver: 'solver-rhel-8-py38' });
  });
});

describe('buildMessage and serializeMessage', () => {
  const origin = { componentName: 'thoth', serviceVersion: '0.1.0' };

  test('base fields come from the origin and the type; fields may override them', () => {
    const built = buildMessage(
      messageType('unresolved-package'),
      { package_name: 'requests', index_url: 'https://index.example/simple' },
      origin,
    );
    expect(built.ok && built.message).toEqual({
      component_name: 'thoth',
      service_version: '0.1.0',
      version: 'v1',
      package_name: 'requests',
      index_url: 'https://index.example/simple',
      package_version: null,
      solver: null,
    });
    const overridden = buildMessage(messageType('repo-init'), { project_url: 'u', component_name: 'cron', version: 'v2' }, origin);
    expect(overridden.ok && [overridden.message.component_name, overridden.message.version]).toEqual(['cron', 'v2']);
  });

  test('the body is written like pydantic v1 .json(): every field, nulls included, base fields first', () => {
    const type = messageType('unresolved-package');
    const built = buildMessage(
      type,
      { package_name: 'requests', index_url: 'https://index.example/simple', package_version: '2.25.1' },
      origin,
    );
    expect(built.ok && serializeMessage(type, built.message)).toBe(
      '{"component_name": "thoth", "service_version": "0.1.0", "version": "v1", "package_name": "requests", "index_url": "https://index.example/simple", "package_version": "2.25.1", "solver": null}',
    );
  });

  test('extra keys on the message object are never written; the nested model keeps its order', () => {
    const type = messageType('kebechet-run-url-trigger');
    const message = {
      ...base,
      version: 'v2',
      url: null,
      service_name: null,
      installation_id: null,
      job_id: null,
      metadata: { package_index: 'i', message_justification: 1, package_name: null, package_version: null },
      junk: 1,
    };
    expect(serializeMessage(type, message)).toBe(
      '{"component_name": "thoth", "service_version": "0.1.0", "version": "v2", "url": null, "service_name": null, "installation_id": null, "job_id": null, "metadata": {"message_justification": 1, "package_name": null, "package_version": null, "package_index": "i"}}',
    );
  });

  test('unknownFields names what the type does not declare', () => {
    expect(unknownFields(messageType('solved-package'), { ...pkg, solver: 's', slover: 'x', version: 'v1' })).toEqual(['slover']);
  });

  test('formatErrors gives one line per error', () => {
    const result = validateMessage(messageType('solved-package'), { ...base });
    expect(!result.ok && formatErrors(result.errors).split('\n')).toEqual([
      "field 'package_name' is required (str)",
      "field 'package_version' is required (str)",
      "field 'index_url' is required (str)",
      "field 'solver' is required (str)",
    ]);
  });
});
