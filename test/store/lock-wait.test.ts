/**
 * A cache another process holds locked (a real second process, test/store/lock-holder.mjs):
 * the command waits on timers, so the rest of the process keeps running (an interval in
 * this process fires during the wait, and it is that interval which tells the holder to let
 * go); it says who holds the lock; it goes on once the lock is released, or gives up after
 * THOTH_CACHE_WAIT with one line naming the file, the holder, what it waited for and how long.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { CancelledError } from '../../src/core/errors.js';
import { openStore } from '../../src/store/index.js';
import { lockHolder, programOf, writeLockPids } from '../../src/store/lock-holder.js';
import { whenUnlocked } from '../../src/store/lock-wait.js';
import { cleanEnv, runThoth } from '../support/cli.js';
import { INDEX, tempDbPath } from './temp.js';

const HOLDER = fileURLToPath(new URL('./lock-holder.mjs', import.meta.url));

const holders: ChildProcessWithoutNullStreams[] = [];
afterEach(async () => {
  for (const holder of holders.splice(0)) {
    if (holder.exitCode === null && holder.signalCode === null) {
      holder.kill('SIGKILL');
      await once(holder, 'close');
    }
  }
});

/** A cache with thoth's schema, then a second process holding it locked. */
async function lockedCache(mode: 'write' | 'exclusive', group?: string): Promise<{ path: string; holder: ChildProcessWithoutNullStreams }> {
  const path = tempDbPath();
  openStore(path, { create: true, indexUrls: INDEX }).close();
  const holder = spawn(process.execPath, [HOLDER, path, mode, ...(group ? [group] : [])], { stdio: ['pipe', 'pipe', 'pipe'] });
  holders.push(holder);
  let out = '';
  holder.stdout.on('data', (c: Buffer) => (out += c.toString()));
  await expect.poll(() => out, { timeout: 15_000 }).toContain('held');
  return { path, holder };
}

/**
 * Runs thoth in this process. Once it has said it waits for the lock, an interval counts
 * its own ticks and, on the third, tells the holder to let go: the command can only
 * succeed if timers kept firing while it waited.
 */
async function runReleasingAfterTicks(args: string[], env: NodeJS.ProcessEnv, holder: ChildProcessWithoutNullStreams) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  let ticksWhileWaiting = 0;
  const interval = setInterval(() => {
    if (!err.includes('is locked by')) return;
    if (++ticksWhileWaiting === 3) holder.stdin.write('release\n');
  }, 20);
  try {
    const code = await main(['node', 'thoth', ...args], {
      env,
      io: { stdout, stderr, stdin: Readable.from([]) as NodeJS.ReadableStream & { isTTY?: boolean } },
    });
    await new Promise((r) => setImmediate(r));
    return { code, stdout: out, stderr: err, ticksWhileWaiting };
  } finally {
    clearInterval(interval);
  }
}

const noStack = (stderr: string) => {
  expect(stderr).not.toMatch(/^\s+at /m);
  expect(stderr).not.toContain('This is a bug');
};

describe('a cache another process holds locked', () => {
  it('a reader waits without stopping the process, names the holder, and answers once the lock is released', async () => {
    const { path, holder } = await lockedCache('exclusive');
    const result = await runReleasingAfterTicks(
      ['--db', path, 'query', 'stats', '-o', 'json'],
      cleanEnv({ THOTH_CACHE_WAIT: '25s' }),
      holder,
    );
    expect(result.stderr).toContain(
      `the knowledge cache ${path} is locked by pid ${holder.pid} (node lock-holder.mjs): waiting to read it`,
    );
    expect(result.code).toBe(0);
    expect(result.ticksWhileWaiting).toBeGreaterThanOrEqual(3);
    expect(JSON.parse(result.stdout)).toHaveProperty('tables');
    noStack(result.stderr);
  }, 60_000);

  it('a reader gives up after THOTH_CACHE_WAIT with one line naming the file, the holder and the wait', async () => {
    const { path, holder } = await lockedCache('exclusive');
    const result = await runThoth(['--db', path, 'query', 'stats'], { env: cleanEnv({ THOTH_CACHE_WAIT: '300ms' }) });
    expect(result.code).toBe(1);
    const errors = result.stderr.split('\n').filter((line) => line.startsWith('error:'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      new RegExp(
        `^error: the knowledge cache ${path} is locked by pid ${holder.pid} \\(node lock-holder\\.mjs\\): waited \\d+ms to read it, then gave up \\(THOTH_CACHE_WAIT=300ms\\)$`,
      ),
    );
    expect(result.stdout).toBe('');
    noStack(result.stderr);
  }, 60_000);

  it('publish to the embedded broker waits for a writer in another process and sends once it commits', async () => {
    const { path, holder } = await lockedCache('write');
    const env = cleanEnv({ THOTH_CACHE_WAIT: '25s' });
    const result = await runReleasingAfterTicks(
      ['--db', path, 'publish', 'unresolved-package', 'requests==2.25.1', '--index-url', INDEX],
      env,
      holder,
    );
    expect(result.stderr).toContain(`the knowledge cache ${path} is locked by pid ${holder.pid} (node lock-holder.mjs): waiting to`);
    expect(result.code).toBe(0);
    expect(result.ticksWhileWaiting).toBeGreaterThanOrEqual(3);
    noStack(result.stderr);
    // The message is in the embedded log, once.
    const tail = await runThoth(['--db', path, 'tail', 'unresolved-package', '--exit-at-end', '-o', 'ndjson'], { env });
    expect(tail.code).toBe(0);
    expect(tail.stdout.trim().split('\n')).toHaveLength(1);
    expect(tail.stdout).toContain('requests');
  }, 60_000);

  it('publish gives up after THOTH_CACHE_WAIT, names the holder, and writes nothing', async () => {
    const { path, holder } = await lockedCache('write');
    const env = cleanEnv({ THOTH_CACHE_WAIT: '300ms' });
    const result = await runThoth(['--db', path, 'publish', 'unresolved-package', 'requests==2.25.1', '--index-url', INDEX], { env });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(
        `error: the knowledge cache ${path} is locked by pid ${holder.pid} \\(node lock-holder\\.mjs\\): waited \\d+ms to .*, then gave up`,
      ),
    );
    noStack(result.stderr);
    holder.stdin.write('release\n');
    await once(holder, 'close');
    const stats = await runThoth(['--db', path, 'query', 'stats', '-o', 'json'], { env });
    expect(stats.code).toBe(0);
    expect(JSON.stringify(JSON.parse(stats.stdout))).not.toContain('unresolved-package');
  }, 60_000);

  it('a wait ends at once, naming the holder, when the command is interrupted', async () => {
    const { path, holder } = await lockedCache('write');
    const store = openStore(path);
    try {
      const controller = new AbortController();
      const waiting = whenUnlocked(path, 'to write', () => store.transaction(() => store.seedIndexes('https://other.example/simple')), {
        boundMs: 60_000,
        signal: controller.signal,
        onWait: () => controller.abort(),
      });
      const error = await waiting.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CancelledError);
      expect((error as Error).message).toBe(
        `interrupted while waiting to write: the knowledge cache ${path} is locked by pid ${holder.pid} (node lock-holder.mjs)`,
      );
    } finally {
      store.close();
    }
  }, 60_000);

  it('a rejected THOTH_CACHE_WAIT is a usage error naming the variable', async () => {
    const path = tempDbPath();
    openStore(path, { create: true }).close();
    const result = await runThoth(['--db', path, 'query', 'stats'], { env: cleanEnv({ THOTH_CACHE_WAIT: 'soon' }) });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('THOTH_CACHE_WAIT must be a duration such as 30s, 2m or 500ms (0: do not wait), got "soon"');
    noStack(result.stderr);
  });
});

describe('naming the holder', () => {
  it('reads write locks on the file or its -shm from /proc/locks, not read locks, not this process', () => {
    const files = [{ ino: 9979123, major: 0xfe, minor: 0 }];
    const locks = [
      '1: POSIX  ADVISORY  WRITE 32007 fe:00:9979123 120 120',
      '2: POSIX  ADVISORY  READ 32008 fe:00:9979123 123 123',
      '3: POSIX  ADVISORY  WRITE 32009 fe:01:9979123 120 120',
      '4: POSIX  ADVISORY  WRITE 4242 fe:00:9979123 1073741826 1073742335',
      '5: -> POSIX  ADVISORY  WRITE 32010 fe:00:9979123 120 120',
      '',
    ].join('\n');
    expect(writeLockPids(locks, files, 4242)).toEqual([32007]);
  });

  it('falls back on the live consumer-group leases in the cache when /proc names nobody', () => {
    const path = tempDbPath();
    const store = openStore(path, { create: true });
    const now = Date.now();
    expect(
      store.acquireLease('thoth.investigator', 'thoth.investigator.unresolved-package', 0, 'replica-1:17:ab12cd34', now, 60_000),
    ).toBeDefined();
    expect(
      store.acquireLease('old', 'thoth.investigator.unresolved-package', 0, 'replica-2:18:ef56ab78', now - 120_000, 60_000),
    ).toBeDefined();
    store.close();
    const noProc = mkdtempSync(join(tmpdir(), 'thoth-noproc-'));
    try {
      expect(lockHolder(path, { proc: noProc, now })).toBe(
        'another process (live consumer-group leases in the cache: replica-1:17:ab12cd34 (group thoth.investigator))',
      );
    } finally {
      rmSync(noProc, { recursive: true, force: true });
    }
  });

  it('names the group a holder consumes as, from its lease', async () => {
    const { path, holder } = await lockedCache('write', 'thoth.investigator');
    expect(lockHolder(path)).toBe(`pid ${holder.pid} (node lock-holder.mjs, consuming as group thoth.investigator)`);
  });

  it('shows the program and subcommand, never options or their values', () => {
    expect(programOf(['node', '/opt/thoth/dist/bin/thoth.js', '--broker', 'kafka://alice:PW@h:9092', 'investigate', '--db', 'x'])).toBe(
      'thoth investigate',
    );
    expect(programOf(['/usr/local/bin/thoth', '-b', 'kafka://alice:PW@h:1', 'publish'])).toBe('thoth publish');
    expect(programOf(['/usr/bin/sqlite3', '/home/me/.thoth/thoth.db'])).toBe('sqlite3');
    expect(programOf(['python3', '-c', 'import sqlite3'])).toBe('python3');
  });
});
