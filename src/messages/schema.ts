/**
 * Draft-07 JSON Schema of a message body, from the catalogue declaration.
 * It says what validateMessage accepts: required fields, strict types,
 * Optional fields as `[type, "null"]`, defaults, and extra properties
 * allowed (upstream ignores them on read). Secrets are marked writeOnly.
 */
import type { MessageType } from './catalogue.js';
import type { FieldSpec, FieldType } from './fields.js';
import { wireFields } from './validate.js';

type Schema = Record<string, unknown>;

const SCALAR: Record<string, Schema> = {
  str: { type: 'string' },
  int: { type: 'integer' },
  bool: { type: 'boolean' },
  object: { type: 'object' },
  'str[]': { type: 'array', items: { type: 'string' } },
  'object[]': { type: 'array', items: { type: 'object' } },
};

function typeSchema(type: FieldType): Schema {
  if (typeof type === 'string') return structuredClone(SCALAR[type]);
  return objectSchema(type.object);
}

function fieldSchema(field: FieldSpec): Schema {
  const schema = typeSchema(field.type);
  if (field.nullable) schema.type = [schema.type, 'null'];
  if (field.default !== undefined) schema.default = defaultOf(field);
  else if (field.nullable) schema.default = null;
  if (field.secret) schema.writeOnly = true;
  return schema;
}

/** What pydantic writes for an absent field: a nested model's default is filled in. */
function defaultOf(field: FieldSpec): unknown {
  if (typeof field.type === 'object' && field.default !== null && typeof field.default === 'object') {
    const given = field.default as Record<string, unknown>;
    return Object.fromEntries(field.type.object.map((f) => [f.name, given[f.name] ?? f.default ?? null]));
  }
  return field.default;
}

function objectSchema(fields: readonly FieldSpec[]): Schema {
  return {
    type: 'object',
    properties: Object.fromEntries(fields.map((f) => [f.name, fieldSchema(f)])),
    required: fields.filter((f) => f.required).map((f) => f.name),
    additionalProperties: true,
  };
}

export function jsonSchema(type: MessageType): object {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: `urn:thoth:message:${type.name}:${type.version}`,
    title: type.name,
    description: `Body of a ${type.name} message (version ${type.version}) on topic [<deployment>.]${type.baseTopic}, as written by thoth-messaging 0.16.x`,
    ...objectSchema(wireFields(type)),
  };
}
