/**
 * The investigator's knowledge lives in Kafka (SPEC §5.1, issue 9), on a real
 * broker: the four commands of the issue (two caches, two runs) re-run the
 * advice exactly once, with one replica and with 2 and 3 replicas in a group;
 * `thoth cache sync` on a fresh HOME answers as the investigator's own cache.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runThoth } from '../support/cli.js';
import { kafkaEnv, startInvestigator, type InvestigatorProcess } from './investigator-process.js';
import { knowledgeOf, publishLines, reRunsOf, solvedLine, unresolvedLine } from './knowledge-support.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'thoth-knowledge-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const homeDb = (home: string) => join(dir, home, 'thoth.db');
const investigate = (home: string, env: NodeJS.ProcessEnv, idleSeconds = 5) =>
  startInvestigator(
    ['--db', homeDb(home), 'investigate', '--workflows', 'record', '--port', 'none', '--until-idle', String(idleSeconds)],
    env,
  );

async function allExit(runs: InvestigatorProcess[]): Promise<void> {
  for (const run of runs) expect((await run.exited).code, run.stderr()).toBe(0);
}

describe('knowledge in Kafka', () => {
  it('the four commands of the issue: two caches, and the advice is re-run exactly once', { timeout: 120_000 }, async () => {
    const env = kafkaEnv();
    const pod = (home: string) => ({ ...env, THOTH_HOME: join(dir, home) });
    // THOTH_HOME=pod1 thoth publish unresolved-package req1==1.0.0 --solver solver-rhel-8-py38 --adviser-id adv-1
    const published = await runThoth(
      ['publish', 'unresolved-package', 'req1==1.0.0', '--solver', 'solver-rhel-8-py38', '--adviser-id', 'adv-1'],
      { env: pod('pod1') },
    );
    expect(published.code, published.stderr).toBe(0);
    // THOTH_HOME=pod1 thoth investigate --workflows record --until-idle 5
    const first = startInvestigator(['investigate', '--workflows', 'record', '--until-idle', '5', '--port', 'none'], pod('pod1'));
    await allExit([first]);
    // THOTH_HOME=pod2 thoth publish solved-package req1==1.0.0 --solver solver-rhel-8-py38
    expect(
      (await runThoth(['publish', 'solved-package', 'req1==1.0.0', '--solver', 'solver-rhel-8-py38'], { env: pod('pod2') })).code,
    ).toBe(0);
    // THOTH_HOME=pod2 thoth investigate --workflows record --until-idle 5
    const second = startInvestigator(['investigate', '--workflows', 'record', '--until-idle', '5', '--port', 'none'], pod('pod2'));
    await allExit([second]);

    expect(await reRunsOf(env.THOTH_DEPLOYMENT_NAME)).toEqual(['adv-1']);
    // pod2 started with an empty cache and read pod1's knowledge before it consumed.
    expect(second.events.find((e) => e.event === 'knowledge' && e.state === 'caught-up')).toMatchObject({ facts: expect.any(Number) });
    expect(second.events.filter((e) => e.event === 'decision' && e.outcome === 'taken').map((e) => e.decision)).toEqual(
      expect.arrayContaining(['advice:adv-1']),
    );
    // The re-run scheduled the adviser workflow, once.
    const ledger = (
      await runThoth(['--db', join(dir, 'pod2', 'thoth.db'), 'query', 'workflows', '--kind', 'adviser', '-o', 'json'], { env })
    ).stdout;
    expect(JSON.parse(ledger)).toHaveLength(1);

    // A laptop: thoth cache sync on a fresh HOME answers as pod2's own cache.
    const laptop = join(dir, 'laptop', 'thoth.db');
    const sync = await runThoth(['--db', laptop, 'cache', 'sync', '-o', 'json'], { env });
    expect(sync.code, sync.stderr).toBe(0);
    expect(JSON.parse(sync.stdout)).toMatchObject({ behind: 0, unreadable: 0, facts: expect.any(Number) });
    expect(await knowledgeOf(laptop, env, ['req1'])).toEqual(await knowledgeOf(join(dir, 'pod2', 'thoth.db'), env, ['req1']));
  });

  it.each([2, 3])(
    'the same with %i replicas in one group, each with a cache of its own: every advice run re-run exactly once',
    { timeout: 180_000 },
    async (replicas) => {
      const env = kafkaEnv();
      // Twelve advice runs, each waiting on two versions: spread over every decisions partition.
      const runs = Array.from({ length: 12 }, (_, i) => `adv-${i}`);
      const versions = (i: number) => [`${i}.0.0`, `${i}.1.0`];
      await publishLines(
        dir,
        runs.flatMap((id, i) => versions(i).map((v) => unresolvedLine('req1', v, id))),
        env,
      );
      await allExit(Array.from({ length: replicas }, (_, r) => investigate(`a${r}`, env)));
      expect(await reRunsOf(env.THOTH_DEPLOYMENT_NAME)).toEqual([]);

      await publishLines(
        dir,
        runs.flatMap((_, i) => versions(i).map((v) => solvedLine('req1', v))),
        env,
      );
      const second = Array.from({ length: replicas }, (_, r) => investigate(`b${r}`, env, 6));
      await allExit(second);
      expect(await reRunsOf(env.THOTH_DEPLOYMENT_NAME)).toEqual([...runs].sort());
      const taken = second.flatMap((run) =>
        run.events.filter((e) => e.event === 'decision' && e.outcome === 'taken' && String(e.decision).startsWith('advice:')),
      );
      expect(taken.map((e) => e.decision).sort()).toEqual(runs.map((id) => `advice:${id}`).sort());

      // Every replica's cache, brought up to the topic's end, knows the same.
      const knowledge = [];
      for (let r = 0; r < replicas; r++) {
        expect((await runThoth(['--db', homeDb(`b${r}`), 'cache', 'sync', '-o', 'json'], { env })).code).toBe(0);
        knowledge.push(await knowledgeOf(homeDb(`b${r}`), env, ['req1']));
      }
      for (const other of knowledge.slice(1)) expect(other).toEqual(knowledge[0]);
    },
  );
});
