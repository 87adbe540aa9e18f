/**
 * `thoth doctor` on the embedded broker with no cluster: each check a line,
 * ✘ with its fix, the cluster's checks neutral, exit 1 only for a failure.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { presentDoctor } from '../../src/present/doctor.js';
import { SCHEMA_VERSION } from '../../src/store/index.js';
import { cleanEnv, runThoth } from '../support/cli.js';

const INDEX = 'https://index.example/simple';
let dir: string;
let db: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'thoth-doctor-'));
  db = join(dir, 'thoth.db');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

// HOME in the temp folder: no ~/.kube/config of the machine's can make a cluster appear.
const env = (extra: NodeJS.ProcessEnv = {}) => cleanEnv({ HOME: dir, ...extra });
const doctor = (args: string[] = [], extra: NodeJS.ProcessEnv = {}) => runThoth(['--db', db, 'doctor', ...args], { env: env(extra) });

describe('thoth doctor', () => {
  it('fails on a fresh machine with a fix per failure, and the cluster checks neutral', async () => {
    const run = await doctor(['-o', 'table']);
    expect(run.code).toBe(1);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines).toEqual([
      `✔ broker        embedded, in ${db}`,
      expect.stringMatching(/^✘ topics {8}21 of 21 missing: thoth\.advise-reporter\.advise-justification, .*, …$/),
      '                fix: thoth topics create',
      '✔ consumer lag  group thoth.investigator has committed nothing yet (0 records waiting)',
      "– broker clock  the embedded broker runs on this machine: it stamps records with this machine's clock",
      `✔ cache         ${db}: schema version ${SCHEMA_VERSION}, integrity ok`,
      '✘ indexes       no package index is registered: every message naming one is dead-lettered',
      '                fix: set THOTH_INDEX_URLS (or thoth investigate --index-url URL)',
      `– kube context  no Kubernetes cluster is configured (no KUBECONFIG, no ${join(dir, '.kube', 'config')}, not in a cluster); workflows are recorded in the ledger`,
      '– argo CRDs     no cluster configured',
      '– RBAC          no cluster configured',
      '– clock         no cluster configured',
    ]);
  });

  it('passes once the topics exist and an index is registered, and reports the lag of the group', async () => {
    expect((await runThoth(['--db', db, 'topics', 'create'], { env: env() })).code).toBe(0);
    const published = await runThoth(['--db', db, 'publish', 'unresolved-package', 'flask==2.0.1', '--index-url', INDEX], { env: env() });
    expect(published.code).toBe(0);
    const run = await doctor(['-o', 'json'], { THOTH_INDEX_URLS: INDEX });
    expect(run.code, run.stdout).toBe(0);
    const doc = JSON.parse(run.stdout) as { ok: boolean; checks: Array<{ name: string; status: string; detail: string; fix?: string }> };
    expect(doc.ok).toBe(true);
    expect(doc.checks.map((c) => [c.name, c.status])).toEqual([
      ['broker', 'ok'],
      ['topics', 'ok'],
      ['consumer lag', 'ok'],
      ['broker clock', 'skip'],
      ['cache', 'ok'],
      ['indexes', 'ok'],
      ['kube context', 'skip'],
      ['argo CRDs', 'skip'],
      ['RBAC', 'skip'],
      ['clock', 'skip'],
    ]);
    expect(doc.checks[1].detail).toBe('all 21 present; 1 partition each, compression none');
    expect(doc.checks[2].detail).toBe('group thoth.investigator has committed nothing yet (1 record waiting)');
    expect(doc.checks[5].detail).toBe(`1 registered index: ${INDEX}`);

    const investigated = await runThoth(['--db', db, 'investigate', '--until-idle', '0.5', '--port', 'none', '--group', 'g'], {
      env: env({ THOTH_INDEX_URLS: INDEX }),
    });
    expect(investigated.code).toBe(0);
    const after = JSON.parse(
      (await doctor(['-o', 'json'], { THOTH_INDEX_URLS: INDEX, KAFKA_CONSUMER_GROUP_ID: 'g' })).stdout,
    ) as typeof doc;
    expect(after.checks[2].detail).toBe('group g: 0 records behind on 0 partitions of 21');
  });

  it('prints the fix under the failed line, aligned', async () => {
    const text = await presentDoctor(
      [
        { name: 'broker', status: 'ok', detail: 'embedded' },
        { name: 'RBAC', status: 'fail', detail: 'may not list in thoth (workflows.argoproj.io)', fix: 'kubectl apply …' },
        { name: 'clock', status: 'skip', detail: 'no cluster configured' },
      ],
      'table',
    );
    expect(text).toBe(
      '✔ broker  embedded\n✘ RBAC    may not list in thoth (workflows.argoproj.io)\n          fix: kubectl apply …\n– clock   no cluster configured\n',
    );
  });
});
