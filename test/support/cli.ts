/**
 * Runs thoth the way a user does and captures what they would see.
 * `runThoth` calls the dispatch core in-process (fast, for tables of
 * argv -> output); `spawnThoth` runs the built binary (signals, exit codes,
 * start-up cost, several processes at once).
 */
import { spawn } from 'node:child_process';
import { PassThrough, Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/main.js';
import type { Clock } from '../../src/core/clock.js';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  stdin?: string;
  signal?: AbortSignal;
  /** Pretend stdout is a terminal. */
  tty?: boolean;
  /** Pretend stderr is a terminal. */
  stderrTty?: boolean;
  cwd?: string;
  /** This machine's clock as thoth sees it (in-process runs only). */
  clock?: Clock;
}

export const BIN = fileURLToPath(new URL('../../dist/bin/thoth.js', import.meta.url));

function capture(tty: boolean) {
  const stream = new PassThrough() as PassThrough & { isTTY?: boolean; columns?: number };
  stream.isTTY = tty;
  stream.columns = 120;
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

/** A minimal environment: no Kafka, no kubeconfig, unless the test passes them. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1' };
  return { ...env, ...extra };
}

export async function runThoth(args: string[], options: RunOptions = {}): Promise<RunResult> {
  const out = capture(options.tty ?? false);
  const err = capture(options.stderrTty ?? false);
  const stdin = Readable.from(options.stdin !== undefined ? [options.stdin] : []) as NodeJS.ReadableStream & { isTTY?: boolean };
  const code = await main(['node', 'thoth', ...args], {
    env: options.env ?? cleanEnv(),
    io: { stdout: out.stream, stderr: err.stream, stdin },
    signal: options.signal,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  await new Promise((r) => setImmediate(r));
  return { code, stdout: out.text(), stderr: err.text() };
}

export function spawnThoth(args: string[], options: RunOptions & { timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: options.env ?? cleanEnv(),
      cwd: options.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal === 'SIGKILL' ? 137 : 1), stdout, stderr });
    });
    if (options.stdin !== undefined) child.stdin.end(options.stdin);
    else child.stdin.end();
  });
}
