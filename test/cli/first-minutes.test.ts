/** What a new user meets first: quiet defaults, one-line answers, the exit codes of signals, no colour where none is drawn. */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { site } from '../commands/publish-support.js';
import { BIN, runThoth } from '../support/cli.js';

describe('the embedded broker notice', () => {
  it('is shown to a person at a terminal, and with -v; not in a pipe', async () => {
    const s = site('embedded');
    const piped = await s.thoth(['topics', '-o', 'name']);
    expect(piped.code).toBe(0);
    expect(piped.stderr).not.toContain('broker: embedded');
    const terminal = await s.thoth(['topics', '-o', 'name'], { stderrTty: true });
    expect(terminal.stderr.match(/broker: embedded/g)).toHaveLength(1);
    const verbose = await s.thoth(['-v', 'topics', '-o', 'name']);
    expect(verbose.stderr).toContain(`broker: embedded (${s.db})`);
  });
});

describe('tail --all on a new broker', () => {
  it('says there is nothing yet in one short line', async () => {
    const s = site('embedded');
    const result = await s.thoth(['tail', '--all', '--exit-at-end', '-o', 'json']);
    expect(result).toMatchObject({ code: 0, stdout: '[]\n' });
    expect(result.stderr).toBe('none of the 20 topics exists yet: nothing to read there (0 messages)\n');
  });

  it('counts the missing topics once some exist', async () => {
    const s = site('embedded');
    await s.thoth(['publish', 'solved-package', 'requests==2.25.1', '--solver', 'solver-rhel-8-py38']);
    const result = await s.thoth(['tail', '--all', '--exit-at-end', '-o', 'ndjson']);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('19 of the 20 topics do not exist yet: nothing to read there (thoth topics lists them)\n');
    expect(result.stderr).toContain('1 message\n');
  });
});

describe('signals', () => {
  it('SIGTERM stops a command with 143, SIGINT with 130', async () => {
    for (const [name, code] of [
      ['SIGTERM', 143],
      ['SIGINT', 130],
    ] as const) {
      const controller = new AbortController();
      setTimeout(() => controller.abort(name), 300);
      const result = await site('embedded').thoth(['tail', 'solved-package', '-o', 'json'], { signal: controller.signal });
      expect(result.code, name).toBe(code);
      expect(JSON.parse(result.stdout)).toEqual([]);
    }
  });

  it('the program exits 143 when sent SIGTERM', async () => {
    const s = site('embedded');
    const child = spawn(process.execPath, [BIN, ...s.args, 'tail', 'solved-package'], { env: s.env });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    try {
      while (!stderr.includes('tailing') && child.exitCode === null) await new Promise((r) => setTimeout(r, 50));
      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number | null];
      expect(code).toBe(143);
    } finally {
      clearTimeout(killer);
    }
  });
});

describe('colour', () => {
  it('is off for TERM=dumb, as for NO_COLOR', async () => {
    const s = site('embedded');
    const colourless = { ...s.env, NO_COLOR: undefined };
    await s.thoth(['publish', 'solved-package', 'requests==2.25.1', '--solver', 'solver-rhel-8-py38']);
    const coloured = await runThoth([...s.args, 'tail', 'solved-package', '--exit-at-end'], { env: colourless, tty: true });
    expect(coloured.stdout).toMatch(/\u001b\[/);
    const dumb = await runThoth([...s.args, 'tail', 'solved-package', '--exit-at-end'], {
      env: { ...colourless, TERM: 'dumb' },
      tty: true,
    });
    expect(dumb.stdout).toContain('solved-package v1');
    expect(dumb.stdout).not.toMatch(/\u001b\[/);
  });
});

describe('thoth help formats', () => {
  it('describes the recorded-stream line and kcat -J lines, and the root help points to it', async () => {
    const result = await runThoth(['help', 'formats']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    for (const field of ['topic', 'value', 'key', 'headers', 'timestamp', 'payload', 'key_encoding'])
      expect(result.stdout).toMatch(new RegExp(`^ +${field}\\b`, 'm'));
    expect(result.stdout).toContain('a line without one is stamped with the time it is read');
    expect(result.stdout).not.toContain('SPEC');
    const root = await runThoth(['--help']);
    expect(root.stdout).toContain('thoth help formats');
    for (const command of ['replay', 'investigate']) {
      const help = await runThoth([command, '--help']);
      expect(help.stdout).toContain('thoth help formats');
      expect(help.stdout).not.toContain('SPEC');
    }
  });

  it('the kcat -J example it names is shipped and replays', async () => {
    const result = await runThoth(['replay', '--validate-only', 'fixtures/kcat/kcat-dump.jsonl']);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('checked 4 lines: 4 valid, 0 invalid, 0 malformed');
  });
});
