/**
 * The process's own stdio (src/cli/process-io.ts, signals.ts): streams Node makes only when a
 * command uses them, and the answer of a command that prints once written straight to a pipe or a
 * file, with the bytes, the order and the closed-pipe ending that process.stdout gives.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { directStdout } from '../../src/cli/process-io.js';
import { exitQuietlyOnClosedPipe } from '../../src/cli/signals.js';
import { BIN, cleanEnv, runThoth, spawnThoth } from '../support/cli.js';

const temp = () => mkdtempSync(join(tmpdir(), 'thoth-stdio-'));

/** A process as far as directStdout and exitQuietlyOnClosedPipe use one. */
function fakeProcess() {
  const written: string[] = [];
  const exits: number[] = [];
  const listeners: Array<(error: Error) => void> = [];
  let made = 0;
  const stream = {
    write: (text: string | Uint8Array) => (written.push(Buffer.from(text).toString()), true),
    on: (_event: string, listener: (error: Error) => void) => (listeners.push(listener), stream),
  };
  const target = {
    exitCode: undefined as number | undefined,
    exit: (code: number) => void exits.push(code),
  };
  // As Node's getter: the stream is made at the first use, and kept.
  let madeStream: typeof stream | undefined;
  const get = () => (madeStream ??= (made++, stream));
  Object.defineProperty(target, 'stdout', { configurable: true, enumerable: true, get });
  return { target: target as unknown as NodeJS.Process, written, exits, listeners, made: () => made };
}

/** The file descriptor of a new file, for directStdout to look at. */
function fileFd(): number {
  return openSync(join(temp(), 'out'), 'w');
}

describe('stdout written straight to its file descriptor', () => {
  it('is used for a pipe or a file, not for anything else (a terminal, a folder)', () => {
    const fd = fileFd();
    expect(directStdout(fd)).toBeDefined();
    closeSync(fd);
    const folder = openSync(temp(), 'r');
    expect(directStdout(folder)).toBeUndefined();
    closeSync(folder);
    expect(directStdout(999_999)).toBeUndefined();
  });

  it('writes the whole text however little each write takes, and says what process.stdout says of a pipe', () => {
    const bytes: number[] = [];
    const fd = fileFd();
    const { target, made } = fakeProcess();
    const out = directStdout(fd, ((_fd: number, buffer: Uint8Array) => (bytes.push(buffer[0]), 1)) as never, target)!;
    expect(out.write('thoth ✓\n')).toBe(true);
    expect(out.write(Buffer.from('and bytes\n'))).toBe(true);
    expect(Buffer.from(bytes).toString()).toBe('thoth ✓\nand bytes\n');
    expect(out.isTTY).toBe(false);
    expect(out.columns).toBeUndefined();
    // process.stdout was not made for any of that.
    expect(made()).toBe(0);
    closeSync(fd);
  });

  it('hands the rest, and all that follows, to process.stdout when the pipe would block', () => {
    const fd = fileFd();
    const { target, written } = fakeProcess();
    let calls = 0;
    const write = ((_fd: number, _buffer: Uint8Array) => {
      if (++calls === 1) return 3;
      throw Object.assign(new Error('write EAGAIN'), { code: 'EAGAIN' });
    }) as never;
    const out = directStdout(fd, write, target)!;
    out.write('abcdef');
    out.write('ghi');
    expect(written).toEqual(['def', 'ghi']);
    expect(calls).toBe(2);
    closeSync(fd);
  });

  it("ends the process quietly, with the command's exit code, when the reader has gone", () => {
    const fd = fileFd();
    const { target, exits } = fakeProcess();
    const gone = (() => {
      throw Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
    }) as never;
    directStdout(fd, gone, target)!.write('thoth\n');
    (target as { exitCode?: number }).exitCode = 1;
    directStdout(fd, gone, target)!.write('thoth\n');
    expect(exits).toEqual([0, 1]);
    const broken = (() => {
      throw Object.assign(new Error('write EIO'), { code: 'EIO' });
    }) as never;
    expect(() => directStdout(fd, broken, target)!.write('thoth\n')).toThrow('EIO');
    closeSync(fd);
  });
});

describe('a closed pipe on a stream Node makes when it is first used', () => {
  it('is handled from the moment the stream is made, and the stream is not made before', () => {
    const { target, listeners, exits, made } = fakeProcess();
    Object.defineProperty(target, 'stderr', { configurable: true, enumerable: true, get: () => target.stdout });
    exitQuietlyOnClosedPipe(target);
    expect(made()).toBe(0);
    expect(listeners).toHaveLength(0);
    const stream = target.stdout;
    expect(target.stdout).toBe(stream);
    expect(made()).toBe(1);
    expect(listeners).toHaveLength(1);
    listeners[0](Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    expect(exits).toEqual([0]);
    expect(() => listeners[0](Object.assign(new Error('write EIO'), { code: 'EIO' }))).toThrow('EIO');
  });
});

describe('the answer of a command that prints once', () => {
  const home = temp();
  const env = cleanEnv({ THOTH_HOME: home });
  // Far more than a pipe holds: the writes wait for the reader.
  const rows = `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) SELECT i, 'row ' || i AS label FROM n`;
  const args = ['query', 'sql', rows, '-o', 'ndjson'];

  it('reaches a pipe and a file whole, the same bytes as the dispatch core prints', async () => {
    expect((await spawnThoth(['topics', 'create'], { env })).code).toBe(0);
    const expected = await runThoth(args, { env });
    expect(expected.code).toBe(0);
    expect(expected.stdout.split('\n')).toHaveLength(20_001);
    const piped = await spawnThoth(args, { env });
    expect(piped).toEqual({ code: 0, stdout: expected.stdout, stderr: '' });
    const file = join(temp(), 'answer.ndjson');
    const fd = openSync(file, 'w');
    const code = await new Promise((resolve) =>
      spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', fd, 'inherit'] }).on('close', resolve),
    );
    closeSync(fd);
    expect(code).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(expected.stdout);
  });

  it('ends quietly with exit 0 when the reader stops early (`| head -1`)', async () => {
    expect((await spawnThoth(['topics', 'create'], { env })).code).toBe(0);
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  });
});
