/**
 * Reading, checking, building and writing message bodies. Every body goes
 * through validateMessage, which behaves like upstream's pydantic v1 model
 * (strict types, defaults filled, unknown fields dropped) and returns the
 * body in wire order; serializeMessage writes it byte for byte as
 * thoth-messaging 0.16.x's producer does (pydantic `.json()`).
 */
import type { MessageType } from './catalogue.js';
import { checkFields, describeValue, isPlainObject, type FieldError } from './check-value.js';
import { required, withDefault, type FieldSpec } from './fields.js';
import { pythonJson, renderedObject } from './wire-json.js';

export type { FieldError } from './check-value.js';

export type Message = Record<string, unknown> & { component_name: string; service_version: string; version: string };

export type ValidationResult = { ok: true; message: Message } | { ok: false; errors: FieldError[] };

const wireFieldCache = new WeakMap<MessageType, readonly FieldSpec[]>();

/** Every field of the body in wire order: component_name, service_version, version (with the type's default), then the own fields. */
export function wireFields(type: MessageType): readonly FieldSpec[] {
  let fields = wireFieldCache.get(type);
  if (!fields) {
    fields = [
      required('component_name', 'str'),
      required('service_version', 'str'),
      withDefault('version', 'str', type.version),
      ...type.fields,
    ];
    wireFieldCache.set(type, fields);
  }
  return fields;
}

export function validateMessage(type: MessageType, value: unknown): ValidationResult {
  if (!isPlainObject(value)) {
    return {
      ok: false,
      errors: [
        {
          field: '(body)',
          rule: 'type: expected object',
          message: `the ${type.name} message must be a JSON object, got ${describeValue(value)}`,
        },
      ],
    };
  }
  const errors: FieldError[] = [];
  const message: Record<string, unknown> = {};
  checkFields(wireFields(type), value, '', message, errors);
  return errors.length ? { ok: false, errors } : { ok: true, message: message as Message };
}

/**
 * Decodes a value read from a topic. `value` is the parsed JSON, or the raw
 * string when it was not JSON (so that it can be shown and dead-lettered as received).
 */
export function decodeMessage(type: MessageType, raw: string | null): ValidationResult & { value: unknown } {
  if (raw === null || raw.trim() === '') {
    return { ok: false, value: raw, errors: [{ field: '(body)', rule: 'empty', message: `the ${type.name} message value is empty` }] };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    // The parser's own text quotes the input, which may hold a secret: keep only the position.
    const position = /position (\d+)/.exec(String(error))?.[1];
    const where = position === undefined ? '' : ` (at character ${position})`;
    return {
      ok: false,
      value: raw,
      errors: [{ field: '(body)', rule: 'json', message: `the ${type.name} message value is not valid JSON${where}` }],
    };
  }
  return { ...validateMessage(type, parsed), value: parsed };
}

/**
 * Fills the base fields (component_name, service_version, version) and then
 * validates; `fields` may override any of them.
 */
export function buildMessage(
  type: MessageType,
  fields: Record<string, unknown>,
  origin: { componentName: string; serviceVersion: string },
): ValidationResult {
  return validateMessage(type, {
    component_name: origin.componentName,
    service_version: origin.serviceVersion,
    version: type.version,
    ...fields,
  });
}

/**
 * The exact bytes upstream's producer writes for this body: every field in
 * wire order, unset optionals as null, extra keys left out. Pass a body
 * that validateMessage accepted.
 */
export function serializeMessage(type: MessageType, message: Message): string {
  return serializeFields(wireFields(type), message);
}

function serializeFields(fields: readonly FieldSpec[], body: Record<string, unknown>): string {
  return renderedObject(
    fields.map((field): [string, string] => {
      const value = body[field.name] ?? null;
      // A nested model is written in its own declared order, like the top level.
      if (typeof field.type === 'object' && isPlainObject(value)) return [field.name, serializeFields(field.type.object, value)];
      return [field.name, pythonJson(value)];
    }),
  );
}

/** Names in `value` that the type does not declare: dropped on read, reported by publish as likely typos. */
export function unknownFields(type: MessageType, value: Record<string, unknown>): string[] {
  const known = new Set(wireFields(type).map((f) => f.name));
  return Object.keys(value).filter((name) => !known.has(name));
}

/** One line per error. */
export function formatErrors(errors: readonly FieldError[]): string {
  return errors.map((e) => e.message).join('\n');
}
