import { Ajv } from 'ajv';
import { describe, expect, test } from 'vitest';
import { MESSAGE_TYPES, messageType, type MessageType } from '../../src/messages/catalogue.js';
import { jsonSchema } from '../../src/messages/schema.js';
import { validateMessage } from '../../src/messages/validate.js';

const ajv = new Ajv({ strict: true, allErrors: true });
const schemaAccepts = (type: MessageType, body: unknown) =>
  (ajv.getSchema(`urn:thoth:message:${type.name}:${type.version}`) ?? ajv.compile(jsonSchema(type)))(body);

describe('jsonSchema', () => {
  test.each(MESSAGE_TYPES.map((t) => [t.name, t] as const))('%s compiles as strict draft-07', (_, type) => {
    expect(() => new Ajv({ strict: true }).compile(jsonSchema(type))).not.toThrow();
  });

  test('declares required fields, nullables, defaults, secrets and allows extra properties', () => {
    const schema = jsonSchema(messageType('package-extract-trigger')) as Record<string, any>;
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(schema.title).toBe('package-extract-trigger');
    expect(schema.required).toEqual(['component_name', 'service_version', 'image', 'environment_type']);
    expect(schema.additionalProperties).toBe(true);
    expect(Object.keys(schema.properties).slice(0, 4)).toEqual(['component_name', 'service_version', 'version', 'image']);
    expect(schema.properties.version).toEqual({ type: 'string', default: 'v2' });
    expect(schema.properties.is_external).toEqual({ type: 'boolean', default: true });
    expect(schema.properties.job_id).toEqual({ type: ['string', 'null'], default: null });
    expect(schema.properties.registry_password).toEqual({ type: ['string', 'null'], default: null, writeOnly: true });
  });

  test('a nested model is an object schema whose default is the filled-in model', () => {
    const metadata = (jsonSchema(messageType('kebechet-run-url-trigger')) as Record<string, any>).properties.metadata;
    expect(metadata.type).toBe('object');
    expect(metadata.properties.message_justification).toEqual({ type: ['integer', 'null'], default: null });
    expect(metadata.default).toEqual({ message_justification: null, package_name: null, package_version: null, package_index: null });
  });

  test('the schema and the validator agree on accept and reject', () => {
    const base = { component_name: 'c', service_version: '1' };
    const bodies: Array<[string, unknown]> = [
      ['adviser-trigger', { ...base, recommendation_type: 'latest' }],
      ['adviser-trigger', { ...base, recommendation_type: 'latest', limit: '3' }],
      ['adviser-trigger', { ...base, recommendation_type: 'latest', dev: null }],
      ['adviser-trigger', { ...base, recommendation_type: 'latest', justification: [{}, 1] }],
      ['adviser-trigger', { ...base, recommendation_type: 1 }],
      [
        'hash-mismatch',
        { ...base, index_url: 'i', package_name: 'n', package_version: 'v', missing_from_source: [], missing_from_database: ['a'] },
      ],
      [
        'hash-mismatch',
        { ...base, index_url: 'i', package_name: 'n', package_version: 'v', missing_from_source: [null], missing_from_database: [] },
      ],
      ['kebechet-run-url-trigger', { ...base, metadata: { package_name: 'x', extra: 1 } }],
      ['kebechet-run-url-trigger', { ...base, metadata: { message_justification: true } }],
      ['update-provides-source-distro', { ...base, package_name: 'n', package_version: 'v', index_url: 'i', value: 'false' }],
      ['repo-init', { service_version: '1', project_url: 'u' }],
      ['repo-init', { ...base, project_url: 'u', unknown: [1] }],
      ['repo-init', []],
    ];
    for (const [name, body] of bodies) {
      const type = messageType(name);
      const schemaSays = schemaAccepts(type, body);
      expect({ name, body, accepted: validateMessage(type, body).ok }).toEqual({ name, body, accepted: schemaSays });
    }
  });
});
