/**
 * Field declarations for the message catalogue. Each constructor keeps the
 * field's name and type as literal types, so that one declaration in
 * catalogue.ts yields the runtime spec (validator, serialiser, JSON Schema)
 * and, through the mapped types below, the TypeScript type of the body.
 */
import { isSecretField } from './secrets.js';

/** Nested model: a typed object whose own keys are fields (kebechet-run-url-trigger's `metadata`). */
export interface NestedObjectType {
  object: readonly FieldSpec[];
}

/**
 * The pydantic v1 types the upstream models use: StrictStr, StrictInt,
 * StrictBool, Dict[StrictStr, Any], List[StrictStr], List[Dict[StrictStr, Any]]
 * and one nested BaseModel.
 */
export type FieldType = 'str' | 'int' | 'bool' | 'object' | 'str[]' | 'object[]' | NestedObjectType;

export interface FieldSpec {
  name: string;
  type: FieldType;
  /** No default and not Optional: absent is an error. */
  required: boolean;
  /** Optional[...]: null is allowed (and is the default unless `default` says otherwise). */
  nullable: boolean;
  /** Present when pydantic fills the field from its default. */
  default?: unknown;
  /** The name contains "password": masked wherever the message is shown. */
  secret: boolean;
}

type Spec<N extends string, T extends FieldType, R extends boolean, Nu extends boolean> = {
  readonly name: N;
  readonly type: T;
  readonly required: R;
  readonly nullable: Nu;
  readonly secret: boolean;
  readonly default?: unknown;
};

/** A required field: `name: StrictX`. */
export function required<const N extends string, const T extends FieldType>(name: N, type: T): Spec<N, T, true, false> {
  return { name, type, required: true, nullable: false, secret: isSecretField(name) };
}

/** `name: Optional[StrictX]` — may be absent or null; written as null when unset. */
export function optional<const N extends string, const T extends FieldType>(name: N, type: T): Spec<N, T, false, true> {
  return { name, type, required: false, nullable: true, secret: isSecretField(name) };
}

/** `name: StrictX = value` — filled from the default when absent; null is an error. */
export function withDefault<const N extends string, const T extends FieldType>(name: N, type: T, value: unknown): Spec<N, T, false, false> {
  return { name, type, required: false, nullable: false, default: value, secret: isSecretField(name) };
}

/** Optional string fields, the most common kind of field upstream. */
export function optionalStrings<const N extends string>(...names: N[]): Array<Spec<N, 'str', false, true>> {
  return names.map((name) => optional(name, 'str'));
}

/** Required string fields. */
export function requiredStrings<const N extends string>(...names: N[]): Array<Spec<N, 'str', true, false>> {
  return names.map((name) => required(name, 'str'));
}

/** The JSON type name used in error messages and help ("expected int"). */
export function typeLabel(type: FieldType): string {
  return typeof type === 'string' ? type : 'object';
}

// ---- TypeScript types derived from the declarations ----

type ValueOf<T> = T extends 'str'
  ? string
  : T extends 'int'
    ? number
    : T extends 'bool'
      ? boolean
      : T extends 'object'
        ? Record<string, unknown>
        : T extends 'str[]'
          ? string[]
          : T extends 'object[]'
            ? Array<Record<string, unknown>>
            : T extends { object: infer F extends readonly FieldSpec[] }
              ? BodyOf<F>
              : unknown;

type FieldValue<F> = F extends { type: infer T; nullable: infer Nu } ? ValueOf<T> | (Nu extends true ? null : never) : never;

/** A validated body's own fields: every key present, unset optionals null. */
export type BodyOf<Fields extends readonly FieldSpec[]> = {
  [F in Fields[number] as F['name']]: FieldValue<F>;
};
