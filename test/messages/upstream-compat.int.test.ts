/**
 * Wire compatibility with upstream thoth-messaging 0.16.2 (pydantic v1),
 * checked against the real Python models (scripts/upstream-compat/check.py,
 * venv from scripts/upstream-compat/setup.sh). adviser-re-run, removed
 * upstream, is compared with a model check.py declares from SPEC §2.1.
 *
 * Bytes are compared exactly: upstream's `.json()` is `json.dumps` with its
 * default ", " / ": " separators and ASCII escapes, which thoth reproduces.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { MESSAGE_TYPES, findMessageType, type FieldSpec, type FieldType, type MessageType } from '../../src/messages/catalogue.js';
import { buildMessage, decodeMessage, serializeMessage, wireFields, type FieldError } from '../../src/messages/validate.js';

const PYTHON = fileURLToPath(new URL('../../.cache/pyenv/bin/python', import.meta.url));
const CHECK = fileURLToPath(new URL('../../scripts/upstream-compat/check.py', import.meta.url));

function upstream<T>(command: 'describe' | 'roundtrip' | 'produce' | 'corpus', input: unknown = null): T {
  if (!existsSync(PYTHON)) {
    throw new Error(
      `No Python venv at ${PYTHON}: run scripts/upstream-compat/setup.sh first (installs thoth-messaging 0.16.2 and pydantic v1).`,
    );
  }
  const run = spawnSync(PYTHON, [CHECK, command], { input: JSON.stringify(input), encoding: 'utf8', maxBuffer: 64 << 20 });
  if (run.status !== 0) throw new Error(`check.py ${command} failed (did scripts/upstream-compat/setup.sh finish?):\n${run.stderr}`);
  return JSON.parse(run.stdout) as T;
}

// Same escaping torture as check.py: quotes, backslash, control characters, DEL, non-ASCII, a surrogate pair.
const TRICKY = 'é "q" \\ \n\t\u0001\u007f ✓ 😀 </x>';

function sample(field: FieldSpec): unknown {
  const type = field.type;
  if (typeof type === 'object') return Object.fromEntries(type.object.map((f) => [f.name, sample(f)]));
  switch (type) {
    case 'str':
      return `${field.name} ${TRICKY}`;
    case 'int':
      return 12345678901;
    case 'bool':
      return field.default === undefined ? true : !field.default;
    case 'object':
      return { nested: { list: [1, 2.5, null, 'x', true], empty: {} }, small: 1e-7, large: 1.5e300, text: TRICKY };
    case 'str[]':
      return ['first', TRICKY, ''];
    case 'object[]':
      return [{ type: 'INFO', message: TRICKY, link: null }, {}];
  }
}

function thothBody(type: MessageType, variant: 'minimal' | 'full'): string {
  const fields = Object.fromEntries(type.fields.filter((f) => variant === 'full' || f.required).map((f) => [f.name, sample(f)]));
  const result = buildMessage(type, variant === 'full' ? { ...fields, version: 'v99' } : fields, {
    componentName: 'thoth',
    serviceVersion: '0.1.0',
  });
  if (!result.ok) throw new Error(`thoth rejected its own ${variant} ${type.name}: ${JSON.stringify(result.errors)}`);
  return serializeMessage(type, result.message);
}

type UpstreamField = { name: string; type: unknown; required: boolean; nullable: boolean; default: unknown };

/** thoth's declaration in check.py's vocabulary; a nested model's default is the filled-in model. */
function describeThoth(fields: readonly FieldSpec[]): UpstreamField[] {
  const typeOf = (type: FieldType): unknown => (typeof type === 'string' ? type : { object: describeThoth(type.object) });
  return fields.map((f) => ({
    name: f.name,
    type: typeOf(f.type),
    required: f.required,
    nullable: f.nullable,
    default: typeof f.type === 'object' ? Object.fromEntries(f.type.object.map((n) => [n.name, n.default ?? null])) : (f.default ?? null),
  }));
}

// Loaded by the first test that needs it, so that a missing venv fails every test with the setup hint.
let described: Record<string, UpstreamField[]> | undefined;
const upstreamModels = () => (described ??= upstream<Record<string, UpstreamField[]>>('describe'));

describe('the catalogue against upstream models', () => {
  test('every upstream model (plus adviser-re-run) is in the catalogue, and nothing else', () => {
    expect(Object.keys(upstreamModels()).sort()).toEqual(MESSAGE_TYPES.map((t) => t.baseTopic).sort());
  });

  test.each(MESSAGE_TYPES.map((t) => [t.name, t] as const))(
    '%s: same fields, order, types, requiredness, nullability and defaults',
    (_, type) => {
      expect(describeThoth(wireFields(type))).toEqual(upstreamModels()[type.baseTopic]);
    },
  );
});

describe('bodies thoth writes', () => {
  const cases = MESSAGE_TYPES.flatMap((type) => (['minimal', 'full'] as const).map((variant) => ({ type, variant })));

  test('upstream parses every one and re-serialises it to the same bytes', () => {
    const bodies = cases.map(({ type, variant }) => ({ topic: type.baseTopic, body: thothBody(type, variant) }));
    const results = upstream<Array<{ ok: boolean; json?: string; errors?: unknown }>>('roundtrip', bodies);
    const mismatches = results.flatMap((result, i) =>
      result.ok && result.json === bodies[i].body
        ? []
        : [{ type: cases[i].type.name, variant: cases[i].variant, thoth: bodies[i].body, upstream: result }],
    );
    expect(mismatches).toEqual([]);
    expect(results).toHaveLength(MESSAGE_TYPES.length * 2);
  });
});

describe('bodies upstream writes', () => {
  test('thoth accepts every one with the same values and writes the same bytes back', () => {
    const produced = upstream<Array<{ topic: string; variant: string; body: string }>>('produce');
    expect(produced).toHaveLength(MESSAGE_TYPES.length * 2);
    for (const { topic, variant, body } of produced) {
      const type = findMessageType(topic);
      expect(type, topic).toBeDefined();
      const decoded = decodeMessage(type!, body);
      expect(decoded.ok ? [] : decoded.errors, `${topic} ${variant}`).toEqual([]);
      if (!decoded.ok) continue;
      expect(decoded.message, `${topic} ${variant}`).toEqual(JSON.parse(body));
      expect(serializeMessage(type!, decoded.message), `${topic} ${variant}`).toBe(body);
    }
  });
});

describe('strictness agrees with pydantic v1', () => {
  const base = { component_name: 'c', service_version: '1' };
  const pkg = { ...base, package_name: 'requests', package_version: '2.25.1', index_url: 'https://index.example/simple' };
  // Not listed because pydantic v1 coerces where thoth (per SPEC §2) does not: a JSON array of
  // pairs for an object (`[]` -> `{}`), and thoth cannot see `1.0` (an int to JavaScript) as a float.
  const rejected: Array<[string, string, unknown, string[]]> = [
    [
      'int given as a string',
      'advise-justification',
      { ...base, message: 'm', justification_type: 'INFO', count: '3', adviser_version: '1' },
      ['count'],
    ],
    [
      'int given as a boolean',
      'advise-justification',
      { ...base, message: 'm', justification_type: 'INFO', count: true, adviser_version: '1' },
      ['count'],
    ],
    ['int given with a fraction', 'adviser-trigger', { ...base, recommendation_type: 'latest', limit: 2.5 }, ['limit']],
    ['bool given as a string', 'update-provides-source-distro', { ...pkg, value: 'true' }, ['value']],
    ['bool given as a number', 'update-provides-source-distro', { ...pkg, value: 1 }, ['value']],
    [
      'str given as a number',
      'unresolved-package',
      { ...base, package_name: 1, index_url: 'https://index.example/simple' },
      ['package_name'],
    ],
    ['required field absent', 'solved-package', pkg, ['solver']],
    ['null for a field with a default', 'adviser-trigger', { ...base, recommendation_type: 'latest', dev: null }, ['dev']],
    ['null for a required field', 'missing-package', { ...base, package_name: null, index_url: 'u' }, ['package_name']],
    [
      'null base field and wrong version type',
      'repo-init',
      { component_name: null, service_version: '1', version: 2, project_url: 'u' },
      ['component_name', 'version'],
    ],
    ['string for a list', 'hash-mismatch', { ...pkg, missing_from_source: 'a', missing_from_database: [] }, ['missing_from_source']],
    [
      'wrong list element',
      'hash-mismatch',
      { ...pkg, missing_from_source: ['a', 1], missing_from_database: [] },
      ['missing_from_source[1]'],
    ],
    ['null list element', 'provenance-checker-trigger', { ...base, whitelisted_sources: [null] }, ['whitelisted_sources[0]']],
    ['string for an object', 'kebechet-trigger', { ...base, webhook_payload: 'x' }, ['webhook_payload']],
    [
      'wrong nested field',
      'kebechet-run-url-trigger',
      { ...base, metadata: { message_justification: '1' } },
      ['metadata.message_justification'],
    ],
    ['null nested model', 'kebechet-run-url-trigger', { ...base, metadata: null }, ['metadata']],
    ['a number instead of an object', 'solved-package', 3, ['(body)']],
    ['a string instead of an object', 'solved-package', 'x', ['(body)']],
  ];

  test('thoth and upstream reject the same bodies, at the same fields', () => {
    const bodies = rejected.map(([, name, body]) => ({ topic: findMessageType(name)!.baseTopic, body: JSON.stringify(body) }));
    const results = upstream<Array<{ ok: boolean; errors?: Array<{ loc: Array<string | number> }> }>>('roundtrip', bodies);
    rejected.forEach(([why, name, body, fields], i) => {
      const thoth = decodeMessage(findMessageType(name)!, JSON.stringify(body));
      const thothFields = thoth.ok ? [] : thoth.errors.map((e: FieldError) => e.field);
      const upstreamFields = (results[i].errors ?? []).map((e) =>
        e.loc[0] === '__root__' ? '(body)' : e.loc.map((p, j) => (typeof p === 'number' ? `[${p}]` : j ? `.${p}` : p)).join(''),
      );
      expect({ why, thoth: thothFields, upstream: upstreamFields }).toEqual({ why, thoth: fields, upstream: fields });
    });
  });

  test('both accept explicit nulls for Optional fields and ignore unknown fields', () => {
    const type = findMessageType('unresolved-package')!;
    const body = JSON.stringify({
      ...base,
      package_name: 'requests',
      index_url: 'https://index.example/simple',
      package_version: null,
      surprise: { x: 1 },
    });
    const [result] = upstream<Array<{ ok: boolean; json: string }>>('roundtrip', [{ topic: type.baseTopic, body }]);
    const decoded = decodeMessage(type, body);
    expect(decoded.ok).toBe(true);
    expect(result.ok).toBe(true);
    expect(decoded.ok && serializeMessage(type, decoded.message)).toBe(result.json);
  });
});

/** An upstream loc as thoth names the field: `justification[0]`, `(body)` for the whole body; `__key__` (a dict key) is the dict's field. */
function upstreamField(loc: Array<string | number>): string {
  if (loc[0] === '__root__') return '(body)';
  return loc
    .filter((part) => part !== '__key__')
    .map((part, i) => (typeof part === 'number' ? `[${part}]` : i ? `.${part}` : part))
    .join('');
}

describe('upstream bodies that JavaScript would change', () => {
  const corpus = () => upstream<Array<{ topic: string; variant: string; body: string }>>('corpus');

  test('thoth keeps every number, key order, __proto__ key and escape, and writes the same bytes back', () => {
    const bodies = corpus();
    expect(bodies).toHaveLength(MESSAGE_TYPES.length * 2);
    const mismatches = bodies.flatMap(({ topic, variant, body }): unknown[] => {
      const type = findMessageType(topic)!;
      const decoded = decodeMessage(type, body);
      if (!decoded.ok) return [{ topic, variant, errors: decoded.errors }];
      const written = serializeMessage(type, decoded.message);
      // publish --json takes the same body as fields: the same bytes go out.
      const rebuilt = buildMessage(type, decoded.message, { componentName: 'x', serviceVersion: 'y' });
      const republished = rebuilt.ok ? serializeMessage(type, rebuilt.message) : JSON.stringify(rebuilt.errors);
      return written === body && republished === body ? [] : [{ topic, variant, body, written, republished }];
    });
    expect(mismatches).toEqual([]);
  });

  test('upstream reads back what thoth wrote for them, unchanged', () => {
    const bodies = corpus();
    const rewritten = bodies.map(({ topic, body }) => {
      const type = findMessageType(topic)!;
      const decoded = decodeMessage(type, body);
      return { topic, body: decoded.ok ? serializeMessage(type, decoded.message) : body };
    });
    const results = upstream<Array<{ ok: boolean; json?: string }>>('roundtrip', rewritten);
    expect(results.map((r, i) => (r.ok && r.json === rewritten[i].body ? 'same' : r))).toEqual(rewritten.map(() => 'same'));
  });
});

/**
 * Generated variants of valid bodies: every field of every type given each of these JSON texts
 * (and each required field left out, and whole bodies that are not objects). thoth and upstream
 * must agree on each: accepted or refused, refused at the same fields, accepted as the same bytes.
 */
const VARIANT_VALUES = [
  '"1"',
  '1',
  '1.0',
  '1e3',
  '1E+2',
  '-0',
  '-0.0',
  '100000000000000000000000',
  '10000000000000000',
  'true',
  'false',
  'null',
  '[]',
  '{}',
  '""',
  '"ab"',
  '"true"',
  '[["a", 1]]',
  '[["a", 1], ["a", 2.50]]',
  '["ab"]',
  '["a😀"]',
  '[["a", 1, 2]]',
  '[1]',
  '[[1, 2]]',
  '[[null, 1]]',
  '[null]',
  '["x"]',
  '[{}]',
  '[[]]',
  '[{"k": 1, "l": 2}]',
  '{"a": 1, "10": 2.0, "2": -0.0}',
  'NaN',
  '-Infinity',
  '{"message_justification": "1"}',
  '{"message_justification": 1.0}',
  '[["message_justification", 3], ["package_name", "x"]]',
  '{"package_name": 1}',
];

const WHOLE_BODIES = [
  '[]',
  '""',
  '"ab"',
  'null',
  '1',
  'true',
  '[["component_name", "c"]]',
  '[[1, "c"]]',
  '{"component_name": "c"',
  '1e5000',
  '[{}]',
];

function bodyText(entries: Array<[string, string]>): string {
  return `{${entries.map(([name, raw]) => `${JSON.stringify(name)}: ${raw}`).join(', ')}}`;
}

function variants(): Array<{ type: MessageType; label: string; body: string }> {
  const out: Array<{ type: MessageType; label: string; body: string }> = [];
  for (const type of MESSAGE_TYPES) {
    const fields = wireFields(type);
    const valid: Array<[string, string]> = [
      ['component_name', '"c"'],
      ['service_version', '"1"'],
      ...type.fields.filter((f) => f.required).map((f): [string, string] => [f.name, JSON.stringify(sample(f))]),
    ];
    for (const field of fields) {
      for (const raw of VARIANT_VALUES) {
        const entries = valid.filter(([name]) => name !== field.name);
        out.push({ type, label: `${type.name}.${field.name} = ${raw}`, body: bodyText([...entries, [field.name, raw]]) });
      }
      if (field.required)
        out.push({ type, label: `${type.name} without ${field.name}`, body: bodyText(valid.filter(([n]) => n !== field.name)) });
    }
    for (const body of WHOLE_BODIES) out.push({ type, label: `${type.name} body ${body}`, body });
  }
  return out;
}

describe('generated variants: thoth and upstream agree on every one', () => {
  test('accepted or refused alike, at the same fields, and accepted ones written as the same bytes', () => {
    const cases = variants();
    const results = upstream<Array<{ ok: boolean; json?: string; errors?: Array<{ loc: Array<string | number> }> }>>(
      'roundtrip',
      cases.map(({ type, body }) => ({ topic: type.baseTopic, body })),
    );
    const disagreements = cases.flatMap(({ type, label, body }, i) => {
      const thoth = decodeMessage(type, body);
      const mine = thoth.ok
        ? { ok: true, json: serializeMessage(type, thoth.message) }
        : { ok: false, fields: thoth.errors.map((e) => e.field) };
      const theirs = results[i].ok
        ? { ok: true, json: results[i].json }
        : { ok: false, fields: (results[i].errors ?? []).map((e) => upstreamField(e.loc)) };
      return JSON.stringify(mine) === JSON.stringify(theirs) ? [] : [{ label, body, thoth: mine, upstream: theirs }];
    });
    expect(disagreements).toEqual([]);
    // Most variants are refused; some are what pydantic v1 coerces (a list of pairs for a dict) and both accept.
    expect(results.filter((r) => !r.ok).length).toBeGreaterThan(1000);
  });
});
