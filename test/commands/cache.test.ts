/**
 * `thoth cache` on the embedded broker, where the knowledge topic is a log in
 * the cache's own file: sync says how fresh the cache is, rebuild writes its
 * facts to the topic (and changes nothing a sync would then read), and a
 * missing topic is a user error with a hint. Against Kafka:
 * test/investigate/knowledge.int.test.ts (a fresh HOME answers as the
 * investigator's cache).
 */
import { describe, expect, it } from 'vitest';
import { cleanEnv, runThoth } from '../support/cli.js';
import { tempDbPath } from '../store/temp.js';

const INDEX = 'https://index.example/simple';
const env = cleanEnv({ THOTH_INDEX_URLS: INDEX });

describe('thoth cache on the embedded broker', () => {
  it('sync reads the knowledge log into the cache and says how fresh it is; rebuild writes every fact back', async () => {
    const db = tempDbPath();
    expect(
      (await runThoth(['--db', db, 'publish', 'solved-package', 'requests==2.25.1', '--solver', 'solver-rhel-8-py38'], { env })).code,
    ).toBe(0);
    const run = await runThoth(
      ['--db', db, 'investigate', '--workflows', 'record', '--port', 'none', '--until-idle', '1', '-o', 'ndjson'],
      {
        env,
      },
    );
    expect(run.code, run.stderr).toBe(0);

    const sync = await runThoth(['--db', db, 'cache', 'sync', '-o', 'json'], { env });
    expect(sync.code, sync.stderr).toBe(0);
    const fresh = JSON.parse(sync.stdout) as {
      topic: string;
      facts: number;
      behind: number;
      partitions: Array<{ read: number; end: number }>;
    };
    expect(fresh).toMatchObject({ topic: 'thoth.investigator.knowledge', behind: 0 });
    // version, solved, the SI decision's workflow and its "scheduled" fact.
    expect(fresh.facts).toBe(4);
    expect(fresh.partitions).toEqual([{ partition: 0, read: 4, end: 4, behind: 0 }]);

    const table = await runThoth(['--db', db, 'cache', 'sync', '-o', 'table'], { env });
    expect(table.stdout).toContain('thoth.investigator.knowledge: caught up; 4 fact(s) in the cache');

    const rebuilt = await runThoth(['--db', db, 'cache', 'rebuild', '-o', 'json'], { env });
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    expect(JSON.parse(rebuilt.stdout)).toEqual({ topic: 'thoth.investigator.knowledge', created: false, facts: 4 });
    const again = JSON.parse((await runThoth(['--db', db, 'cache', 'sync', '-o', 'json'], { env })).stdout) as {
      facts: number;
      applied: number;
    };
    expect(again).toMatchObject({ facts: 4, applied: 4 });
  });

  it('says so when the deployment has no knowledge topic', async () => {
    const db = tempDbPath();
    const result = await runThoth(['--db', db, '--deployment-name', 'elsewhere', 'cache', 'sync'], { env });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('there is no knowledge topic elsewhere.thoth.investigator.knowledge');
    expect(result.stderr).toContain('hint: check THOTH_DEPLOYMENT_NAME');
  });
});
