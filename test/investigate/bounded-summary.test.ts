/**
 * A run's summary stays in bounded memory whatever the backlog: counts, the
 * first items, and the query for the rest. The same run used to load every
 * workflow of the run (and keep every learned event) to print its summary,
 * and died with "JavaScript heap out of memory" under a small heap cap.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanEnv, spawnThoth } from '../support/cli.js';

const INDEX = 'https://index.example/simple';
const MESSAGES = 3_000;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'thoth-bounded-summary-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Unresolved and solved messages for MESSAGES / 2 versions: one solver and one security-indicators workflow each. */
function stream(): string {
  const lines: string[] = [];
  for (let i = 0; i < MESSAGES; i++) {
    const k = Math.floor(i / 2);
    const solved = i % 2 === 1;
    const value = {
      component_name: solved ? 'solver' : 'test',
      service_version: '0.1.0',
      version: 'v1',
      package_name: `package-${k % 100}`,
      package_version: `${1 + Math.floor(k / 100)}.${k % 100}.0`,
      index_url: INDEX,
      solver: 'solver-rhel-8-py38',
    };
    const topic = solved ? 'thoth.solver.solved-package' : 'thoth.investigator.unresolved-package';
    lines.push(JSON.stringify({ topic, key: null, headers: {}, value, timestamp: 1_700_000_000_000 + i }));
  }
  const path = join(dir, 'stream.ndjson');
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

describe('the summary of a large run', () => {
  it(
    'finishes under a 16 MB heap, counting every workflow and listing the first with the query for the rest',
    { timeout: 180_000 },
    async () => {
      const from = stream();
      const result = await spawnThoth(
        ['--db', join(dir, 'thoth.db'), 'investigate', '--from', from, '--workflows', 'record', '--namespace', 'thoth', '-o', 'text'],
        {
          env: cleanEnv({ THOTH_HOME: dir, THOTH_INDEX_URLS: INDEX, NODE_OPTIONS: '--max-old-space-size=16' }),
          timeoutMs: 170_000,
        },
      );
      expect(result.stderr).not.toContain('heap out of memory');
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toContain(`investigate: ${MESSAGES} message(s) received, ${MESSAGES} processed, 0 dead-lettered`);
      expect(result.stdout).toContain(`Workflows (${MESSAGES}):`);
      expect(result.stdout).toMatch(new RegExp(`… and ${MESSAGES - 50} more \\(thoth query workflows --since \\d{4}-\\d\\d-\\d\\dT`));
      expect(result.stdout).toContain(`${MESSAGES / 2} package versions, ${MESSAGES / 2} solver results, ${MESSAGES} workflows`);
    },
  );
});
