import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cleanEnv, spawnThoth } from '../support/cli.js';
import { tempDbPath } from './temp.js';

const WRITER = fileURLToPath(new URL('./concurrent-writer.mjs', import.meta.url));

describe('two processes on one cache', () => {
  it('answers queries while another process writes continuously, never failing with SQLITE_BUSY', async () => {
    const path = tempDbPath();
    const writer = spawn(process.execPath, [WRITER, path, '110000'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    writer.stdout.on('data', (c: Buffer) => (out += c.toString()));
    writer.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const closed = once(writer, 'close');
    await expect.poll(() => out, { timeout: 15_000 }).toContain('ready');

    const env = cleanEnv();
    const failures: string[] = [];
    const seen = new Set<number>();
    for (let round = 0; round < 8 && writer.exitCode === null; round++) {
      for (const args of [
        ['query', 'stats', '-o', 'json'],
        ['query', 'package', 'requests', '0.0.0', '-o', 'json'],
        ['query', 'workflows', '--limit', '5', '-o', 'json'],
      ]) {
        const result = await spawnThoth(['--db', path, ...args], { env });
        if (result.code !== 0) failures.push(`${args.join(' ')} -> ${result.code}: ${result.stderr}`);
        else if (args[1] === 'stats') seen.add((JSON.parse(result.stdout) as { tables: { workflows: number } }).tables.workflows);
      }
    }
    const stillWriting = writer.exitCode === null;
    writer.kill('SIGTERM');
    await closed;

    expect(failures).toEqual([]);
    expect(err).toBe('');
    // The writer was really writing while the queries ran: they saw the ledger grow.
    expect(stillWriting).toBe(true);
    expect(seen.size).toBeGreaterThan(1);
  }, 120_000);
});
