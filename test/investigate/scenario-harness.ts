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
import type { ScenarioExpectation, ScenarioOutcome } from '../../src/investigate/expectation.js';

export const SCENARIOS_DIR = fileURLToPath(new URL('../../fixtures/scenarios/', import.meta.url));

/** Set for every scenario unless its `env` says otherwise. */
export const DEFAULT_SCENARIO_ENV: Record<string, string> = { THOTH_INDEX_URLS: 'https://index.example/simple' };

export type { ScenarioExpectation, ScenarioOutcome } from '../../src/investigate/expectation.js';
export { partialMismatch, scenarioMismatches } from '../../src/investigate/expectation.js';

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
