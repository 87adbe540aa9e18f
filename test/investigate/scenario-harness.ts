/**
 * Scenario fixtures (fixtures/scenarios/<name>/, format in its README.md):
 * loading them, and comparing what a run left behind with expected.json.
 * The comparison reads the same shapes `thoth query … -o json` prints, so
 * the in-process run (scenarios.test.ts) and end-to-end runs through
 * `investigate --from` or a broker can share it.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runThoth } from '../support/cli.js';

export const SCENARIOS_DIR = fileURLToPath(new URL('../../fixtures/scenarios/', import.meta.url));

/** Set for every scenario unless its `env` says otherwise. */
export const DEFAULT_SCENARIO_ENV: Record<string, string> = { THOTH_INDEX_URLS: 'https://index.example/simple' };

export interface ScenarioExpectation {
  description: string;
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

export interface LoadedScenario {
  name: string;
  /** input.ndjson after substitution, in a temp directory. */
  inputPath: string;
  expected: ScenarioExpectation;
  env: Record<string, string>;
}

export function listScenarios(): string[] {
  return readdirSync(SCENARIOS_DIR, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

function substitute(text: string, values: Record<string, string>): string {
  return text.replace(/\$\{([A-Z_]+)\}/g, (whole, name: string) => values[name] ?? whole);
}

/** Reads a scenario, replacing `${INDEX_URL}` (and any other given name) in the input, env and expectations. */
export function loadScenario(name: string, values: Record<string, string> = {}): LoadedScenario {
  const dir = join(SCENARIOS_DIR, name);
  const expected = JSON.parse(substitute(readFileSync(join(dir, 'expected.json'), 'utf8'), values)) as ScenarioExpectation;
  const inputPath = join(mkdtempSync(join(tmpdir(), `thoth-scenario-${name}-`)), 'input.ndjson');
  writeFileSync(inputPath, substitute(readFileSync(join(dir, 'input.ndjson'), 'utf8'), values));
  return { name, inputPath, expected, env: { ...DEFAULT_SCENARIO_ENV, ...expected.env } };
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
      `expected ${published.length} follow-up message(s), got ${outcome.published.length}: ${outcome.published.map((p) => p.type).join(', ')}`,
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
      `expected ${letters.length} dead letter(s), got ${outcome.deadLetters.length}: ${outcome.deadLetters.map((d) => `${d.error_class} (${d.reason})`).join('; ')}`,
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

/** What `thoth query … -o json` says after a run: the workflows, the dead letters and the package versions the scenario checks. */
export async function queriedOutcome(
  db: string,
  env: NodeJS.ProcessEnv,
  expected: ScenarioExpectation,
): Promise<Pick<ScenarioOutcome, 'workflows' | 'deadLetters' | 'packageVersion'>> {
  const query = async (...args: string[]) => {
    const result = await runThoth(['--db', db, 'query', ...args, '-o', 'json'], { env });
    if (result.code !== 0) throw new Error(`thoth query ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
    return JSON.parse(result.stdout) as unknown;
  };
  const packages = new Map<string, Record<string, unknown> | undefined>();
  for (const pkg of expected.packages ?? []) {
    const report = (await query('package', pkg.name, pkg.version)) as { versions: Array<Record<string, unknown>> };
    packages.set(`${pkg.name}==${pkg.version}`, report.versions[0]);
  }
  return {
    workflows: (await query('workflows')) as ScenarioOutcome['workflows'],
    deadLetters: (await query('dead-letters')) as ScenarioOutcome['deadLetters'],
    packageVersion: (name, version) => packages.get(`${name}==${version}`),
  };
}
