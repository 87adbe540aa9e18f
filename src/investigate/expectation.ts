/**
 * `investigate --from STREAM --expect EXPECTED.json`: what a run must leave
 * behind, in the format of fixtures/scenarios/<name>/expected.json (documented
 * in fixtures/scenarios/README.md and the README), and every difference
 * between it and what the run did, as lines for people. The scenario tests
 * compare with the same functions.
 */
import { UsageError } from '../core/errors.js';
import type { Store } from '../store/index.js';
import type { InvestigatorEvent } from './events.js';

export interface ScenarioExpectation {
  description?: string;
  /** How the scenario tests run it (environment, a loopback index); not checked by --expect. */
  env?: Record<string, string>;
  index?: Record<string, string[]>;
  workflows: Array<{ kind: string; parameters: Record<string, string> }>;
  published?: Array<{ type: string; fields: Record<string, unknown> }>;
  dead_letters?: Array<{ topic: string; error_class: string; reason_contains: string }>;
  packages?: Array<{ name: string; version: string; expect: Record<string, unknown> }>;
  metrics?: Array<{ name: string; labels: Record<string, string>; value: number }>;
}

/** What a run left behind, in `thoth query … -o json` shapes. */
export interface ScenarioOutcome {
  /** `query workflows -o json` */
  workflows: Array<{ kind: string; parameters: Record<string, string> }>;
  /** Follow-up messages in publish order. */
  published: Array<{ type: string; message: Record<string, unknown> }>;
  /** `query dead-letters -o json` */
  deadLetters: Array<{ topic: string; error_class: string; reason: string }>;
  /** `query package NAME VERSION -o json` → versions[0] */
  packageVersion(name: string, version: string): Record<string, unknown> | undefined;
  /** Metric updates (name, labels, value), summed per name and labels. */
  metrics: Array<{ name: string; labels: Record<string, string>; value: number }>;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Reads an expectation file's text; a wrong shape is refused naming the field and the rule. */
export function parseExpectation(text: string, path: string): ScenarioExpectation {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--expect ${path}: not JSON (${(error as Error).message})`);
  }
  const refuse = (field: string, rule: string) => new UsageError(`--expect ${path}: ${field} ${rule}`);
  if (!isObject(doc)) throw refuse('the document', 'must be an object');
  const list = (field: string, required: boolean, check: (item: Record<string, unknown>, at: string) => void) => {
    const value = doc[field];
    if (value === undefined && !required) return;
    if (!Array.isArray(value)) throw refuse(field, required ? 'is required and must be an array' : 'must be an array');
    value.forEach((item, i) => {
      if (!isObject(item)) throw refuse(`${field}[${i}]`, 'must be an object');
      check(item, `${field}[${i}]`);
    });
  };
  const string = (item: Record<string, unknown>, at: string, key: string) => {
    if (typeof item[key] !== 'string') throw refuse(`${at}.${key}`, 'must be a string');
  };
  const object = (item: Record<string, unknown>, at: string, key: string) => {
    if (!isObject(item[key])) throw refuse(`${at}.${key}`, 'must be an object');
  };
  list('workflows', true, (w, at) => {
    string(w, at, 'kind');
    object(w, at, 'parameters');
  });
  list('published', false, (p, at) => {
    string(p, at, 'type');
    object(p, at, 'fields');
  });
  list('dead_letters', false, (d, at) => ['topic', 'error_class', 'reason_contains'].forEach((key) => string(d, at, key)));
  list('packages', false, (p, at) => {
    string(p, at, 'name');
    string(p, at, 'version');
    object(p, at, 'expect');
  });
  list('metrics', false, (m, at) => {
    string(m, at, 'name');
    object(m, at, 'labels');
    if (typeof m.value !== 'number') throw refuse(`${at}.value`, 'must be a number');
  });
  return doc as unknown as ScenarioExpectation;
}

/** Deep partial match: every key the expectation names must match; arrays match element by element and in length; "<any>" matches any non-null value. */
export function partialMismatch(actual: unknown, expected: unknown, path = ''): string | undefined {
  if (expected === '<any>')
    return actual === null || actual === undefined ? `${path || 'value'}: expected a value, got ${JSON.stringify(actual)}` : undefined;
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length)
      return `${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`;
    for (let i = 0; i < expected.length; i++) {
      const problem = partialMismatch(actual[i], expected[i], `${path}[${i}]`);
      if (problem) return problem;
    }
    return undefined;
  }
  if (typeof expected === 'object' && expected !== null) {
    if (typeof actual !== 'object' || actual === null) return `${path}: expected an object, got ${JSON.stringify(actual)}`;
    for (const [key, value] of Object.entries(expected)) {
      const problem = partialMismatch((actual as Record<string, unknown>)[key], value, path ? `${path}.${key}` : key);
      if (problem) return problem;
    }
    return undefined;
  }
  return Object.is(actual, expected) ? undefined : `${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`;
}

const workflowLine = (w: { kind: string; parameters: Record<string, string> }) =>
  `${w.kind} ${JSON.stringify(Object.fromEntries(Object.entries(w.parameters).sort(([a], [b]) => a.localeCompare(b))))}`;

/** Every difference between the outcome and the expectation; empty when the scenario passes. */
export function scenarioMismatches(expected: ScenarioExpectation, outcome: ScenarioOutcome): string[] {
  const problems: string[] = [];

  const want = expected.workflows.map(workflowLine).sort();
  const got = outcome.workflows.map(workflowLine).sort();
  const missing = want
    .filter((line, i) => want.indexOf(line) === i)
    .flatMap((line) => {
      const short = want.filter((l) => l === line).length - got.filter((l) => l === line).length;
      return short > 0 ? [`missing workflow (${short}x): ${line}`] : [];
    });
  const extra = got
    .filter((line, i) => got.indexOf(line) === i)
    .flatMap((line) => {
      const over = got.filter((l) => l === line).length - want.filter((l) => l === line).length;
      return over > 0 ? [`unexpected workflow (${over}x): ${line}`] : [];
    });
  problems.push(...missing, ...extra);

  const published = expected.published ?? [];
  if (outcome.published.length !== published.length) {
    problems.push(
      `expected ${published.length} follow-up message(s), got ${outcome.published.length}${outcome.published.length ? `: ${outcome.published.map((p) => p.type).join(', ')}` : ''}`,
    );
  } else {
    published.forEach((p, i) => {
      const actual = outcome.published[i];
      if (actual.type !== p.type) problems.push(`follow-up ${i}: expected ${p.type}, got ${actual.type}`);
      const problem = partialMismatch(actual.message, p.fields, `follow-up ${i}`);
      if (problem) problems.push(problem);
    });
  }

  const letters = expected.dead_letters ?? [];
  if (outcome.deadLetters.length !== letters.length) {
    problems.push(
      `expected ${letters.length} dead letter(s), got ${outcome.deadLetters.length}${outcome.deadLetters.length ? `: ${outcome.deadLetters.map((d) => `${d.error_class} (${d.reason})`).join('; ')}` : ''}`,
    );
  } else {
    letters.forEach((letter, i) => {
      const actual = outcome.deadLetters[i];
      if (actual.topic !== letter.topic || actual.error_class !== letter.error_class || !actual.reason.includes(letter.reason_contains)) {
        problems.push(`dead letter ${i}: expected ${JSON.stringify(letter)}, got ${JSON.stringify(actual)}`);
      }
    });
  }

  for (const pkg of expected.packages ?? []) {
    const actual = outcome.packageVersion(pkg.name, pkg.version);
    if (!actual) problems.push(`package ${pkg.name}==${pkg.version} is not in the cache`);
    else {
      const problem = partialMismatch(actual, pkg.expect, `${pkg.name}==${pkg.version}`);
      if (problem) problems.push(problem);
    }
  }

  for (const m of expected.metrics ?? []) {
    const found = outcome.metrics.find((a) => a.name === m.name && JSON.stringify(a.labels) === JSON.stringify(m.labels));
    if (!found || found.value !== m.value)
      problems.push(`metric ${m.name}${JSON.stringify(m.labels)}: expected ${m.value}, got ${found?.value ?? 'nothing'}`);
  }
  return problems;
}

const WORKFLOW_EVENTS = new Set(['scheduled', 'known', 'exists', 'recorded-workflow']);

/**
 * What one run did, from its events and the cache: the workflows it scheduled or found
 * scheduled (as the ledger holds them), its follow-ups, its dead letters and metric
 * updates in order, and the package versions the expectation asks about.
 */
export function runOutcome(
  events: readonly InvestigatorEvent[],
  store: Pick<Store, 'findWorkflow' | 'workflowsReport' | 'packageReport'>,
  options: { startedAt: string; solvers: string[] },
): ScenarioOutcome {
  const names = new Set<string>(store.workflowsReport({ since: options.startedAt }).map((w) => w.name));
  for (const e of events) if (WORKFLOW_EVENTS.has(e.event) && typeof e.name === 'string') names.add(e.name);
  const workflows = [...names].flatMap((name) => {
    const entry = store.findWorkflow(name);
    return entry ? [{ kind: entry.kind, parameters: entry.parameters }] : [];
  });
  const metrics: ScenarioOutcome['metrics'] = [];
  for (const e of events) {
    if (e.event !== 'metric' || typeof e.name !== 'string') continue;
    const labels = (e.labels ?? {}) as Record<string, string>;
    const found = metrics.find((m) => m.name === e.name && JSON.stringify(m.labels) === JSON.stringify(labels));
    if (found) found.value += Number(e.value);
    else metrics.push({ name: e.name, labels, value: Number(e.value) });
  }
  return {
    workflows,
    published: events
      .filter((e) => e.event === 'published')
      .map((e) => ({ type: String(e.messageType), message: e.message as Record<string, unknown> })),
    deadLetters: events
      .filter((e) => e.event === 'dead-letter')
      .map((e) => ({ topic: String(e.topic), error_class: String(e.errorClass), reason: String(e.reason) })),
    packageVersion: (name, version) =>
      store.packageReport(name, version, options.solvers).versions[0] as unknown as Record<string, unknown> | undefined,
    metrics,
  };
}
