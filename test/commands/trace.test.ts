/**
 * `thoth trace NAME[==VERSION]` after a replay of the continuous-learning
 * stream: the version's story in time order, JSON when piped, a table on a
 * terminal, dead letters that name it, and --follow printing what is new.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { cleanEnv, runThoth } from '../support/cli.js';

const STREAM = fileURLToPath(new URL('../../fixtures/streams/continuous-learning.ndjson', import.meta.url));
const INDEX = 'https://index.example/simple';
let dir: string;
let db: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'thoth-trace-'));
  db = join(dir, 'thoth.db');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const env = () => cleanEnv({ THOTH_INDEX_URLS: INDEX, HOME: dir });
const thoth = (args: string[], options: { tty?: boolean; signal?: AbortSignal } = {}) =>
  runThoth(['--db', db, ...args], { env: env(), ...options });

interface Trace {
  package: string;
  version: string | null;
  events: Array<{ at: string; kind: string; version: string; text: string; source?: { topic: string; offset: number } }>;
}

describe('thoth trace', () => {
  it("tells a version's story from request to adviser re-run, in time order", async () => {
    expect((await thoth(['investigate', '--from', STREAM])).code).toBe(0);
    const run = await thoth(['trace', 'Requests==2.25.1']);
    expect(run.code).toBe(0);
    const trace = JSON.parse(run.stdout) as Trace;
    expect(trace.package).toBe('requests');
    expect(trace.version).toBe('2.25.1');
    const times = trace.events.map((e) => e.at);
    expect(times).toEqual([...times].sort());
    expect(trace.events.every((e) => e.version === '2.25.1')).toBe(true);
    const texts = trace.events.map((e) => `${e.kind}: ${e.text}`);
    const first = (pattern: RegExp) => texts.findIndex((t) => pattern.test(t));
    // Each expected step is there, and the loop's order holds: request, solvers, results, SI, re-run.
    const steps = [
      /^message: requested \(2 times/,
      /^message: message unresolved-package\[0\]@0$/,
      /^workflow: solver solver-requests-2-25-1-rhel-8-py38-\w+ in thoth: recorded \(decided on unresolved-package\[0\]@0\)$/,
      /^advice: advice run adviser-211127100000-5e3b8d \(stable\) waits on it$/,
      /^workflow: security-indicators security-indicators-requests-2-25-1-\w+ in thoth: recorded \(decided on decisions\[\d+\]@\d+\)$/,
      /^knowledge: solved by solver-fedora-35-py310$/,
      /^advice: adviser re-run of adviser-211127100000-5e3b8d published$/,
    ];
    for (const step of steps) expect(first(step), `${step} in\n${texts.join('\n')}`).toBeGreaterThanOrEqual(0);
    expect(first(steps[1])).toBeLessThan(first(steps[2]));
    expect(first(steps[4])).toBeLessThan(first(steps[6]));
    expect(texts.filter((t) => t === 'message: message unresolved-package[0]@0')).toHaveLength(1);

    const table = await thoth(['trace', 'requests==2.25.1'], { tty: true });
    expect(table.stdout).toMatch(/^TIME\s+KIND\s+VERSION\s+WHAT/);
    expect(table.stdout).toMatch(/\n\S+Z\s+workflow\s+2\.25\.1\s+solver solver-requests-2-25-1-rhel-8-py38-/);

    const other = JSON.parse((await thoth(['trace', 'requests==2.24.0'])).stdout) as Trace;
    expect(other.events.map((e) => e.text)).toContain('flagged missing from https://index.example/simple');
  });

  it('says when nothing is known, refuses what is not NAME[==VERSION], and follows what is new', async () => {
    openStore(db, { create: true }).close();
    const none = await thoth(['trace', 'flask'], { tty: true });
    expect(none).toMatchObject({ code: 0, stdout: '' });
    expect(none.stderr).toContain('nothing is known of flask in this cache');
    const bad = await thoth(['trace', 'flask>=2']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("only an exact pin 'NAME==VERSION' is accepted");

    const stop = new AbortController();
    const following = thoth(['trace', 'flask==2.0.1', '--follow'], { signal: stop.signal });
    await new Promise((r) => setTimeout(r, 500));
    const store = openStore(db);
    store.transaction(() =>
      store.recordDeadLetter({
        topic: 'thoth.investigator.unresolved-package',
        partition: 0,
        offset: 3,
        errorClass: 'UnregisteredIndex',
        reason: 'not a registered index',
        value: { package_name: 'Flask', package_version: '2.0.1', index_url: 'https://other.example/simple' },
        headers: {},
        key: null,
        createdAt: '2026-01-01T00:00:00Z',
      }),
    );
    store.close();
    // Longer than one poll of the cache.
    await new Promise((r) => setTimeout(r, 3_000));
    stop.abort();
    const followed = await following;
    const lines = followed.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toEqual([
      {
        at: '2026-01-01T00:00:00.000Z',
        kind: 'dead-letter',
        version: '2.0.1',
        text: 'dead letter 1: UnregisteredIndex: not a registered index',
        source: { topic: 'thoth.investigator.unresolved-package', partition: 0, offset: 3 },
      },
    ]);
  });
});
