/**
 * Every group member thoth runs takes the consumer properties given with --kafka-option (kcat's -X): `tail --group`
 * and the investigator's exactly-once consumer alike. Before, the investigator's consumer set its own session
 * timeout, heartbeat and fetch sizes and ignored the user's. The broker checks a session timeout against its
 * group.min/max.session.timeout.ms (6 s to 30 min by default), so a value out of that range shows the setting
 * reached the group: the broker's refusal, named, where the investigator ran with its own settings before.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runThoth } from '../support/cli.js';
import { INDEX, RECORD_INVESTIGATE, kafkaEnv } from '../investigate/investigator-process.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'thoth-group-settings-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const investigate = [...RECORD_INVESTIGATE, '--until-idle', '3'];

describe('group consumer properties (--kafka-option)', () => {
  it("reach the investigator's group: a session timeout the broker refuses is reported by name", { timeout: 120_000 }, async () => {
    const env = kafkaEnv();
    const db = join(dir, 'thoth.db');
    const published = await runThoth(['--db', db, 'publish', 'unresolved-package', 'flask==2.0.1', '--index-url', INDEX], { env });
    expect(published.code, published.stderr).toBe(0);

    const refused = await runThoth(['--db', db, '--kafka-option', 'session.timeout.ms=4000000', ...investigate], { env });
    expect(refused.code, refused.stderr).toBe(1);
    expect(refused.stderr).toContain('the broker refuses the group session timeout of 4000000 ms (INVALID_SESSION_TIMEOUT)');
    expect(refused.stderr).toMatch(/hint: give session\.timeout\.ms within that range/);

    // Within the broker's range it is a session timeout like any other: the message is handled.
    const run = await runThoth(['--db', db, '--kafka-option', 'session.timeout.ms=7000', ...investigate], { env });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/1 message\(s\) received, 1 processed/);
  });

  it('reach a tail --group member the same way, with the broker\'s reason rather than "timed out"', { timeout: 60_000 }, async () => {
    const env = kafkaEnv();
    const db = join(dir, 'thoth.db');
    const published = await runThoth(['--db', db, 'publish', 'unresolved-package', 'flask==2.0.1', '--index-url', INDEX], { env });
    expect(published.code, published.stderr).toBe(0);
    const tail = await runThoth(
      [
        '--db',
        db,
        '--kafka-option',
        'session.timeout.ms=1000',
        'tail',
        'unresolved-package',
        '--group',
        `${env.THOTH_DEPLOYMENT_NAME}.tail`,
        '--exit-at-end',
      ],
      { env },
    );
    expect(tail.code, tail.stderr).toBe(1);
    expect(tail.stderr).toContain('the broker refuses the group session timeout of 1000 ms (INVALID_SESSION_TIMEOUT)');
    expect(tail.stderr).not.toContain('timed out');
  });

  it('refuse a heartbeat interval not below the session timeout before joining, naming both', async () => {
    const env = kafkaEnv();
    const db = join(dir, 'thoth.db');
    const given = await runThoth(
      ['--db', db, '--kafka-option', 'heartbeat.interval.ms=9000', '--kafka-option', 'session.timeout.ms=9000', ...investigate],
      { env },
    );
    expect(given.code, given.stderr).toBe(2);
    expect(given.stderr).toContain('--kafka-option heartbeat.interval.ms (9000) must be below session.timeout.ms (9000)');
    // The investigator's own session timeout is 10 s when none is given.
    const alone = await runThoth(['--db', db, '--kafka-option', 'heartbeat.interval.ms=20000', ...investigate], { env });
    expect(alone.code, alone.stderr).toBe(2);
    expect(alone.stderr).toContain('heartbeat.interval.ms (20000) must be below the session timeout (10000)');
    expect(alone.stderr).not.toMatch(/bug in thoth/);
  });
});
