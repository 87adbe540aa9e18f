/**
 * Keys, headers and field values that carry terminal control sequences (clear
 * screen, set the window title, a carriage return that forges a line) are shown
 * escaped on a terminal and kept byte for byte in -o ndjson / json.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, runThoth } from '../support/cli.js';

const INDEX = 'https://index.example/simple';
const CLEAR = '\u001b[2J';
const TITLE = '\u001b]0;owned\u0007';
const FORGED = '\rOK all good';
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

let dir: string;
let db: string;
const env = () => cleanEnv({ THOTH_INDEX_URLS: INDEX });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'thoth-tty-'));
  db = join(dir, 'thoth.db');
  const line = {
    topic: 'thoth.investigator.unresolved-package',
    key: `req${CLEAR}uests==1.0`,
    headers: { [`x-note${TITLE}`]: `v${FORGED}` },
    value: {
      component_name: `adviser${TITLE}`,
      service_version: '0.1.0',
      version: 'v1',
      package_name: 'requests',
      index_url: INDEX,
      package_version: '1.0',
      solver: `solver${CLEAR}x`,
      [`extra${TITLE}`]: 1,
    },
    timestamp: '2021-11-27T10:00:00.000Z',
  };
  const file = join(dir, 'hostile.ndjson');
  writeFileSync(file, `${JSON.stringify(line)}\n`);
  const replay = await runThoth(['--db', db, 'replay', '--include-invalid', file], { env: env() });
  expect(replay.stderr).not.toMatch(CONTROLS);
  expect(replay.code).toBe(0);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const tail = (format: string) =>
  runThoth(['--db', db, 'tail', 'unresolved-package', '--exit-at-end', '-o', format], { env: env(), tty: format === 'pretty' });

describe('terminal safety', () => {
  it('tail -o pretty shows every control character of keys, headers, names and values as an escape', async () => {
    const run = await tail('pretty');
    expect(run.code).toBe(0);
    expect(run.stdout).not.toMatch(CONTROLS);
    expect(run.stdout).toContain('key=req\\x1b[2Juests==1.0');
    expect(run.stdout).toContain('x-note\\x1b]0;owned\\x07=v\\rOK all good');
    expect(run.stdout).toContain('from adviser\\x1b]0;owned\\x07');
    expect(run.stdout).toContain('extra\\x1b]0;owned\\x07');
    expect(run.stderr).not.toMatch(CONTROLS);
  });

  it('tail -o ndjson and -o json keep the bytes as they were (JSON escapes them)', async () => {
    const ndjson = await tail('ndjson');
    expect(ndjson.code).toBe(0);
    const record = JSON.parse(ndjson.stdout) as { key: string; headers: Record<string, string>; value: Record<string, unknown> };
    expect(record.key).toBe(`req${CLEAR}uests==1.0`);
    expect(record.headers[`x-note${TITLE}`]).toBe(`v${FORGED}`);
    expect(record.value.solver).toBe(`solver${CLEAR}x`);
    const json = await tail('json');
    expect((JSON.parse(json.stdout) as Array<{ key: string }>)[0].key).toBe(`req${CLEAR}uests==1.0`);
  });

  it('query tables escape control characters in cells', async () => {
    const run = await runThoth(['--db', db, 'query', 'sql', "SELECT 'a' || char(27) || '[2J' || char(13) || 'b' AS x", '-o', 'table'], {
      env: env(),
      tty: true,
    });
    expect(run.code).toBe(0);
    expect(run.stdout).not.toMatch(CONTROLS);
    expect(run.stdout).toContain('a\\x1b[2J');
  });

  it('an error that echoes what was typed shows its control characters as escapes', async () => {
    const since = await runThoth(['--db', db, 'query', 'workflows', '--since', `x${TITLE}`], { env: env() });
    expect(since.code).toBe(2);
    expect(since.stderr).not.toMatch(CONTROLS);
    expect(since.stderr).toContain('x\\x1b]0;owned\\x07');
    const field = await runThoth(['publish', 'unresolved-package', 'requests==1', '--field', `a${CLEAR}=1`, '--dry-run'], { env: env() });
    expect(field.code).toBe(2);
    expect(field.stderr).not.toMatch(CONTROLS);
  });
});
