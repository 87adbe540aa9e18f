/**
 * Turns `thoth publish` flags into validated messages ready to send: fields
 * from --json / a --file line, the positional package spec, --index-url,
 * --solver and --field (in that order, later wins), the default index, the
 * key (the message's subject) and the headers.
 */
import { checkAdviceHeaders } from '../messages/advice-headers.js';
import { UsageError, UserError } from '../core/errors.js';
import { RECOMMENDATION_TYPES, type MessageType } from '../messages/catalogue.js';
import { solverEnvironment } from '../config/solvers.js';
import { booleanWord } from '../core/booleans.js';
import { typeLabel, type FieldSpec } from '../messages/fields.js';
import { normalizePackageName, packageFieldErrors, parsePackageSpec } from '../messages/package-spec.js';
import { nearest } from '../core/suggest.js';
import { shown } from '../core/quote.js';
import { buildMessage, formatErrors, serializeMessage, unknownFields, type FieldError, type Message } from '../messages/validate.js';
import { requireIndexUrl, type IndexUrlSource } from '../config/index-url.js';
import { withoutCredentials } from '../messages/secrets.js';
import { JsonNumber, JsonObject, fieldsOf, parseJsonText } from '../messages/json-text.js';

export interface PublishFlags {
  spec?: string;
  /** `--field k=v`, in order. */
  fields: string[];
  indexUrl?: string;
  solver?: string;
  key?: string;
  /** `--header k=v`, in order. */
  headers: string[];
  adviserId?: string;
  recommendationType?: string;
}

export interface PreparedMessage {
  message: Message;
  /** The exact body, as thoth-messaging writes it. */
  body: string;
  key: string | null;
  headers: Record<string, string>;
}

/** A message that fails validation; `errors` lets a caller list them on one line. */
export class InvalidMessageError extends UserError {
  constructor(
    typeName: string,
    readonly errors: readonly FieldError[],
  ) {
    super(`invalid ${typeName} message:\n${formatErrors(errors)}`);
  }
}

export interface PrepareContext {
  /** The index of a message that names none (settings.defaultIndexUrl), asked for only when needed. */
  defaultIndexUrl: () => IndexUrlSource | undefined;
  origin: { componentName: string; serviceVersion: string };
  /** Told once where a default index came from. */
  notice?: (text: string) => void;
}

/** `k=v` -> [k, v]; the value may itself contain '='. */
export function splitAssignment(text: string, flag: string): [string, string] {
  const at = text.indexOf('=');
  if (at <= 0) throw new UsageError(`${flag} expects name=value, got ${JSON.stringify(text)}`);
  return [text.slice(0, at), text.slice(at + 1)];
}

function unknownField(type: MessageType, name: string, fields: readonly FieldSpec[]): UsageError {
  const names = fields.map((f) => f.name);
  const suggestion = nearest(name, names);
  return new UsageError(
    `${type.name} has no field "${name}"${suggestion ? ` (did you mean '${suggestion}'?)` : ''}`,
    `its fields: ${names.join(', ')}`,
  );
}

/** A --field value typed by the catalogue; the error names the field and the expected type. */
export function fieldValueFromText(field: FieldSpec, text: string, path = field.name): unknown {
  const expected = typeLabel(field.type);
  const bad = (detail = '') => new UsageError(`--field ${path}: expected ${expected}, got ${JSON.stringify(text)}${detail}`);
  if (field.nullable && text === 'null' && field.type !== 'str') return null;
  switch (field.type) {
    case 'str':
      return text;
    case 'int':
      // Python ints have no size limit: the digits are kept as written.
      if (!/^-?\d+$/.test(text)) throw bad();
      return new JsonNumber(text);
    case 'bool': {
      const value = booleanWord(text);
      if (value === undefined) throw bad(' (use true or false)');
      return value;
    }
    case 'str[]':
      if (text.trim().startsWith('[')) return parseJson(text, bad);
      return text === '' ? [] : text.split(',').map((s) => s.trim());
    default:
      return parseJson(text, bad);
  }
}

function parseJson(text: string, bad: (detail?: string) => UsageError): unknown {
  const parsed = parseJsonText(text);
  if (!parsed.ok) throw bad(' (not valid JSON)');
  return parsed.value;
}

/** Applies `--field` assignments; `a.b=v` sets a field of a nested model (kebechet-run-url-trigger's metadata). */
export function applyFieldFlags(type: MessageType, assignments: readonly string[], into: Record<string, unknown>): void {
  for (const assignment of assignments) {
    const [path, text] = splitAssignment(assignment, '--field');
    const [name, inner] = path.split('.', 2) as [string, string | undefined];
    const field = type.fields.find((f) => f.name === name);
    if (!field) throw unknownField(type, name, type.fields);
    if (inner === undefined) {
      into[name] = fieldValueFromText(field, text);
      continue;
    }
    if (typeof field.type !== 'object')
      throw new UsageError(`--field ${path}: "${name}" is a ${typeLabel(field.type)}, not a model with fields`);
    const innerField = field.type.object.find((f) => f.name === inner);
    if (!innerField)
      throw unknownField(
        type,
        `${name}.${inner}`,
        field.type.object.map((f) => ({ ...f, name: `${name}.${f.name}` })),
      );
    const current = into[name];
    const nested =
      current instanceof JsonObject
        ? fieldsOf(current)
        : typeof current === 'object' && current !== null
          ? (current as Record<string, unknown>)
          : {};
    into[name] = { ...nested, [inner]: fieldValueFromText(innerField, text, path) };
  }
}

const hasField = (type: MessageType, name: string) => type.fields.some((f) => f.name === name);

const SOLVER_RULE = 'a solver name is solver-<os>-<os_version>-py<XY>, e.g. solver-rhel-8-py38';

/**
 * Checks the flags that do not depend on a --file line, once, as usage
 * errors: headers the investigator reads (SPEC §3) only where it reads them,
 * with values it accepts, and a solver name it can schedule.
 */
export function checkPublishFlags(type: MessageType, flags: PublishFlags): void {
  if (flags.adviserId !== undefined && type.name !== 'unresolved-package') {
    throw new UsageError(
      `--adviser-id applies to unresolved-package only: it names the advice run waiting on that package, and ${type.name} carries none`,
    );
  }
  if (flags.recommendationType !== undefined && !RECOMMENDATION_TYPES.includes(flags.recommendationType)) {
    throw new UsageError(`--recommendation-type must be one of ${RECOMMENDATION_TYPES.join(', ')}, got ${shown(flags.recommendationType)}`);
  }
  if (flags.solver !== undefined && hasField(type, 'solver') && !solverEnvironment(flags.solver)) {
    throw new UsageError(`--solver ${shown(flags.solver)}: ${SOLVER_RULE}`);
  }
  // Refused before the message is built: a bad --header failed after the notice of the index it was going to use.
  headersOf(flags);
}

/** The solver field as the investigator checks it (an empty optional one means every solver, as there). */
function solverFieldErrors(message: Message): FieldError[] {
  const solver = message.solver;
  if (typeof solver !== 'string' || solver === '' || solverEnvironment(solver)) return [];
  return [{ field: 'solver', rule: 'solver-name', message: `field 'solver' ${shown(solver)} is invalid: ${SOLVER_RULE}` }];
}

/** Builds, checks and serialises one message. `base` is the --json object or a --file line. */
export function prepareMessage(
  type: MessageType,
  base: Record<string, unknown>,
  flags: PublishFlags,
  context: PrepareContext,
): PreparedMessage {
  const unknown = unknownFields(type, base);
  if (unknown.length > 0) throw unknownField(type, unknown[0], type.fields);
  // Handlers are chosen by (topic, version): a body of another version is one no consumer reads.
  if (base.version !== undefined && base.version !== type.version) {
    const got = shown(typeof base.version === 'string' ? base.version : String(JSON.stringify(base.version)));
    throw new InvalidMessageError(type.name, [
      { field: 'version', rule: 'known-version', message: `field 'version' is ${got}, but thoth reads ${type.name} ${type.version} only` },
    ]);
  }
  const fields: Record<string, unknown> = { ...base };
  if (flags.spec !== undefined) {
    if (!hasField(type, 'package_name'))
      throw new UsageError(
        `${type.name} is not about a package: it takes no "${flags.spec}" operand`,
        'set its fields with --field name=value or --json',
      );
    const { name, version } = parsePackageSpec(flags.spec);
    fields.package_name = name;
    if (version !== undefined) {
      if (!hasField(type, 'package_version')) throw new UsageError(`${type.name} has no package_version: give the package name alone`);
      fields.package_version = version;
    }
  }
  if (flags.indexUrl !== undefined) {
    if (!hasField(type, 'index_url')) throw new UsageError(`${type.name} has no index_url field`);
    fields.index_url = flags.indexUrl;
  }
  if (flags.solver !== undefined) {
    if (!hasField(type, 'solver')) throw new UsageError(`${type.name} has no solver field`);
    fields.solver = flags.solver;
  }
  applyFieldFlags(type, flags.fields, fields);
  if (hasField(type, 'index_url') && (fields.index_url === undefined || fields.index_url === null)) {
    const found = requireIndexUrl(context.defaultIndexUrl());
    // A configured index may carry credentials (pip allows it); a notice never shows them.
    context.notice?.(`index_url: ${withoutCredentials(found.url)} (from ${found.from})`);
    fields.index_url = found.url;
  }
  const result = buildMessage(type, fields, context.origin);
  if (!result.ok) throw new InvalidMessageError(type.name, result.errors);
  // The wire schema takes any string; publish refuses what no consumer could act on.
  const problems = [
    ...packageFieldErrors(result.message, { allowAnyVersion: type.name === 'unresolved-package' }),
    ...solverFieldErrors(result.message),
  ];
  if (problems.length > 0) throw new InvalidMessageError(type.name, problems);
  return {
    message: result.message,
    body: serializeMessage(type, result.message),
    key: flags.key ?? subjectKey(result.message),
    headers: headersOf(flags),
  };
}

/** The message's subject, `name==version` (name normalised per PEP 503), so that one package stays on one partition. */
export function subjectKey(message: Message): string | null {
  const name = message.package_name;
  if (typeof name !== 'string') return null;
  const normalized = normalizePackageName(name);
  const version = message.package_version;
  return typeof version === 'string' && version !== '' ? `${normalized}==${version}` : normalized;
}

export function headersOf(flags: Pick<PublishFlags, 'headers' | 'adviserId' | 'recommendationType'>): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const assignment of flags.headers) {
    const [name, value] = splitAssignment(assignment, '--header');
    headers[name] = value;
  }
  if (flags.recommendationType !== undefined && flags.adviserId === undefined) {
    throw new UsageError('--recommendation-type needs --adviser-id (it describes the advice run that waits on the package)');
  }
  if (flags.adviserId !== undefined) {
    if (flags.adviserId.trim() === '') throw new UsageError('--adviser-id must not be empty');
    headers['thoth-adviser-id'] = flags.adviserId;
  }
  if (flags.recommendationType !== undefined) headers['thoth-recommendation-type'] = flags.recommendationType;
  // What the investigator would dead-letter is refused here, by the same check.
  const advice = checkAdviceHeaders(headers);
  if (!advice.ok) {
    throw new UsageError(
      `${flags.adviserId !== undefined ? '--adviser-id' : '--header'}: ${advice.reason}; the investigator would dead-letter this message`,
    );
  }
  return headers;
}
