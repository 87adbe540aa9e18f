import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { redact } from '../../src/core/redact.js';
import { thothVersion } from '../../src/core/version.js';
import { editDistance } from '../../src/core/suggest.js';
import { BIN, cleanEnv, runThoth } from '../support/cli.js';

const tracker = fileURLToPath(new URL('../support/register-load-tracker.mjs', import.meta.url));

/** Runs the built binary with a hook that logs every module it resolves. */
function modulesLoadedBy(args: string[]): { code: number | null; stdout: string; loaded: string[] } {
  const log = join(mkdtempSync(join(tmpdir(), 'thoth-load-')), 'loaded.txt');
  const run = spawnSync(process.execPath, ['--import', tracker, BIN, ...args], {
    env: { ...cleanEnv(), THOTH_LOAD_LOG: log, THOTH_HOME: mkdtempSync(join(tmpdir(), 'thoth-home-')) },
    encoding: 'utf8',
  });
  let loaded: string[] = [];
  try {
    loaded = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  } catch {
    // nothing resolved at all
  }
  return { code: run.status, stdout: run.stdout, loaded };
}

/**
 * Whether commander or the command table is among what was loaded: by name (unbundled) or, in the
 * bundled build's chunks, by a text each of them holds.
 */
function dispatchCoreLoaded(loaded: string[]): string[] {
  const markers = ['display help for command', 'Ask the local knowledge cache what is known'];
  return loaded.filter((url) => {
    if (url.includes('commander') || url.includes('/src/cli/main.js') || url.includes('/src/cli/command-table.js')) return true;
    if (!url.startsWith('file:')) return false;
    const text = readFileSync(fileURLToPath(url), 'utf8');
    return markers.some((marker) => text.includes(marker));
  });
}

const HEAVY = ['kafkajs', '/chunks/kafka.js', '@kubernetes/client-node', '/ink/', 'better-sqlite3', '/react/'];

describe('thoth dispatch core', () => {
  it('lists every command with examples in --help, without loading any heavy client', () => {
    const { code, stdout, loaded } = modulesLoadedBy(['--help']);
    expect(code).toBe(0);
    for (const command of ['publish', 'tail', 'replay', 'investigate', 'submit', 'query', 'topics', 'schema']) {
      expect(stdout).toContain(command);
    }
    expect(stdout).toContain('Examples:');
    expect(loaded.length).toBeGreaterThan(0);
    for (const heavy of HEAVY) expect(loaded.filter((url) => url.includes(heavy))).toEqual([]);
  });

  it('answers --version alone before the dispatch core loads: no commander, no command table', () => {
    const { code, stdout, loaded } = modulesLoadedBy(['--version']);
    expect(code).toBe(0);
    expect(stdout).toBe(`${thothVersion()}\n`);
    expect(loaded.length).toBeGreaterThan(0);
    expect(dispatchCoreLoaded(loaded)).toEqual([]);
  });

  it('answers --help alone from the rendering of the build, without commander; other help requests load it', () => {
    const alone = modulesLoadedBy(['--help']);
    expect(alone.code).toBe(0);
    expect(alone.stdout).toMatch(/^Usage: thoth /);
    expect(dispatchCoreLoaded(alone.loaded)).toEqual([]);
    const other = modulesLoadedBy(['help', 'query']);
    expect(other.code).toBe(0);
    expect(dispatchCoreLoaded(other.loaded)).not.toEqual([]);
  });

  it('prints the package version with --version', async () => {
    const result = await runThoth(['--version']);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(thothVersion());
    expect(thothVersion()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('answers an unknown command with exit 2 and the nearest command', async () => {
    const result = await runThoth(['tial', 'solved-package']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown command 'tial'");
    expect(result.stderr).toContain("did you mean 'tail'");
    expect(result.stdout).toBe('');
  });

  it('answers an unknown global option with exit 2', async () => {
    const result = await runThoth(['--no-such-flag']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--no-such-flag');
  });

  it('declares query like every command: its queries are subcommands with their own help', async () => {
    const help = await runThoth(['help', 'query']);
    expect(help.code).toBe(0);
    for (const query of [
      'package',
      'unresolved',
      'unsolved',
      'si-unanalyzed',
      'missing',
      'workflows',
      'dead-letters',
      'indexes',
      'stats',
      'sql',
    ]) {
      expect(help.stdout).toContain(query);
    }
    expect((await runThoth(['query', 'workflows', '--help'])).stdout).toContain('--kind <kind>');
    const bare = await runThoth(['query']);
    expect(bare.code).toBe(2);
    expect(bare.stdout).toBe('');
  });

  it('refuses an enumerated value while parsing, listing the valid ones', async () => {
    const result = await runThoth(['submit', 'solver', 'requests==2.25.1', '--dry-run', 'maybe']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('error: --dry-run must be client or server (got "maybe")\nSee \'thoth submit --help\'.\n');
    expect((await runThoth(['submit', '--help'])).stdout).toContain('(choices: "client", "server")');
  });

  it('rejects a malformed --broker with a usage error naming the rule', async () => {
    const home = mkdtempSync(join(tmpdir(), 'thoth-home-'));
    const result = await runThoth(['--broker', 'tcp://x', 'topics'], { env: cleanEnv({ THOTH_HOME: home }) });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--broker must be "embedded" or host:port[,host:port...]');
  });

  it('refuses a --compression codec Kafka does not have, listing the codecs', async () => {
    const result = await runThoth(['-z', 'brotli', 'topics']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--compression must be one of none, gzip, snappy, lz4, zstd, got "brotli"');
  });

  it('warns on stderr when THOTH_DEPLOYMENT_NAME is empty, and names the topic with a leading dot', async () => {
    const home = mkdtempSync(join(tmpdir(), 'thoth-home-'));
    const result = await runThoth(['publish', 'repo-init', '--field', 'project_url=https://git.example/p', '--dry-run'], {
      env: cleanEnv({ THOTH_HOME: home, THOTH_DEPLOYMENT_NAME: '' }),
    });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('warning: THOTH_DEPLOYMENT_NAME is set but empty');
    expect(result.stderr).toContain('would publish 1 message(s) to .thoth.repo-init');
  });
});

describe('helpers of the dispatch core', () => {
  it('measures edit distance for suggestions', () => {
    expect(editDistance('tial', 'tail')).toBe(2);
    expect(editDistance('publish', 'publish')).toBe(0);
  });

  it('redacts secret values from error text', () => {
    expect(redact('auth failed for s3cr3t-pass at host', ['s3cr3t-pass'])).toBe('auth failed for *** at host');
  });
});
