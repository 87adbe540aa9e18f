/**
 * Reading, checking, building and writing message bodies. Every body goes
 * through validateMessage, which behaves like upstream's pydantic v1 model
 * (strict types, defaults filled, unknown fields dropped) and returns the
 * body in wire order; serializeMessage writes it byte for byte as
 * thoth-messaging 0.16.x's producer does (pydantic `.json()`).
 */
import type { MessageType } from './catalogue.js';
import { checkFields, describeValue, dictEntries, plainFieldsValid, type FieldError } from './check-value.js';
import { required, withDefault, type FieldSpec } from './fields.js';
import { JsonObject, fromPlain, parseJsonText, toPlain, type JsonValue } from './json-text.js';
import { pythonJson, renderedObject } from './wire-json.js';

export type { FieldError } from './check-value.js';

export type Message = Record<string, unknown> & { component_name: string; service_version: string; version: string };

export type ValidationResult = { ok: true; message: Message } | { ok: false; errors: FieldError[] };

/**
 * The validated body exactly as it will be written, kept out of sight on the
 * plain Message that handlers and presenters read, so that serializeMessage
 * writes the numbers and key order that were received.
 */
const WIRE = Symbol('thoth.wire-body');

/** A value as JSON: a validated message's exact body, else the value as json-text.ts reads JavaScript values. */
function treeOf(value: unknown): JsonValue {
  return (value as { [WIRE]?: JsonObject } | null)?.[WIRE] ?? fromPlain(value);
}

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

function bodyError(type: MessageType, value: unknown): FieldError {
  return {
    field: '(body)',
    rule: 'type: expected object',
    message: `the ${type.name} message must be a JSON object, got ${describeValue(value)}`,
  };
}

/**
 * Validates a body as the upstream model's parse_obj does: a JSON object, or
 * what Python's dict() makes one of (a list of [key, value] pairs), then each
 * field. `value` is a parsed JSON value (json-text.ts) or one built in JavaScript.
 */
export function validateMessage(type: MessageType, value: unknown): ValidationResult {
  const tree = treeOf(value);
  let body: JsonObject;
  if (tree instanceof JsonObject) body = tree;
  else {
    const entries = dictEntries(tree);
    // Keyword arguments must be strings (Model(**dict) raises otherwise).
    if (entries === undefined || entries.some(([key]) => typeof key !== 'string')) return { ok: false, errors: [bodyError(type, tree)] };
    body = new JsonObject(entries as Array<[string, JsonValue]>);
  }
  const errors: FieldError[] = [];
  const checked: Array<[string, JsonValue]> = [];
  checkFields(wireFields(type), body, '', checked, errors);
  if (errors.length) return { ok: false, errors };
  const wire = new JsonObject(checked);
  // Made when first read: `tail` only asks whether a body is valid.
  // An accessor of the literal (own and enumerable, as a spread of the result needs): no property defined per message.
  let message: Message | undefined;
  return {
    ok: true,
    get message(): Message {
      if (!message) {
        message = toPlain(wire) as Message;
        Object.defineProperty(message, WIRE, { value: wire, enumerable: false });
      }
      return message;
    },
  };
}

/**
 * validateMessage's answer for a body read from canonical text (json-text.ts readCanonical): `plain` as JSON.parse
 * read it, `tree` its lossless value. Where every field has exactly its type (check-value.ts plainFieldsValid) the
 * body is valid without walking `tree`, and the message is made from it when first read (`tail` asks only whether a
 * body is valid); any other body is validateMessage's.
 */
export function validateCanonical(type: MessageType, plain: Record<string, unknown>, tree: JsonValue): ValidationResult {
  if (!plainFieldsValid(wireFields(type), plain)) return validateMessage(type, tree);
  let checked: ValidationResult | undefined;
  return {
    ok: true,
    get message(): Message {
      checked ??= validateMessage(type, tree);
      if (!checked.ok) throw new Error(`internal: a ${type.name} body passed the quick check and not the full one`);
      return checked.message;
    },
  };
}

/** The body as Python's json.loads reads it, or the error upstream would raise (the reason names no content). */
export function parseBodyText(type: MessageType, raw: string): { ok: true; value: JsonValue } | { ok: false; error: FieldError } {
  const parsed = parseJsonText(raw);
  if (parsed.ok) return parsed;
  return {
    ok: false,
    error: {
      field: '(body)',
      rule: 'json',
      message: `the ${type.name} message value is not valid JSON (${parsed.reason} at character ${parsed.offset})`,
    },
  };
}

/**
 * Decodes a value read from a topic. `value` is the parsed JSON (plain, for showing), or the raw string when it was not JSON (so that it can be shown and dead-lettered as received).
 */
export function decodeMessage(type: MessageType, raw: string | null): ValidationResult & { value: unknown } {
  if (raw === null || raw.trim() === '') {
    return { ok: false, value: raw, errors: [{ field: '(body)', rule: 'empty', message: `the ${type.name} message value is empty` }] };
  }
  const parsed = parseBodyText(type, raw);
  if (!parsed.ok) return { ok: false, value: raw, errors: [parsed.error] };
  return { ...validateMessage(type, parsed.value), value: toPlain(parsed.value) };
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
  const base: Array<[string, JsonValue]> = [
    ['component_name', origin.componentName],
    ['service_version', origin.serviceVersion],
    ['version', type.version],
  ];
  const given = (treeOf(fields) as JsonObject).entries;
  const names = new Set(given.map(([name]) => name));
  return validateMessage(type, new JsonObject([...base.filter(([name]) => !names.has(name)), ...given]));
}

/**
 * The exact bytes upstream's producer writes for this body: every field in
 * wire order, unset optionals as null, extra keys left out, numbers and
 * free-form objects as they were received. Pass a body that validateMessage accepted.
 */
export function serializeMessage(type: MessageType, message: Message): string {
  const wire = (message as { [WIRE]?: JsonObject })[WIRE];
  if (wire) return pythonJson(wire);
  // Built in JavaScript (or a masked copy): written in wire order, numbers as fromPlain reads them.
  return serializeFields(wireFields(type), treeOf(message) as JsonObject);
}

function serializeFields(fields: readonly FieldSpec[], body: JsonObject): string {
  return renderedObject(
    fields.map((field): [string, string] => {
      const value = body.get(field.name) ?? null;
      // A nested model is written in its own declared order, like the top level.
      if (typeof field.type === 'object' && value instanceof JsonObject) return [field.name, serializeFields(field.type.object, value)];
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
