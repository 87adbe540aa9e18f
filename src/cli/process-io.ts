import { fstatSync, writeSync } from 'node:fs';
import type { Io } from '../core/io.js';
import { exitOnClosedPipe } from './signals.js';

/**
 * The real terminal: the only place below bin/ that names process.stdout, stderr and stdin. Node
 * creates each of them when it is first used, loading its stream modules (and net's, for a pipe):
 * a stream a command does not use is not created. With `directStdout` (commands that print their
 * answer once, at the end: command-table.ts), a stdout that is a pipe or a file is written straight
 * to its file descriptor (directStdout below), and process.stdout is not created at all.
 */
export function processIo(options: { directStdout?: boolean } = {}): Io {
  const direct = options.directStdout ? directStdout() : undefined;
  return {
    get stdout() {
      return direct ?? process.stdout;
    },
    get stderr() {
      return process.stderr;
    },
    get stdin() {
      return process.stdin;
    },
  };
}

type Stdout = Io['stdout'];
type Callback = (error?: Error | null) => void;

/**
 * stdout written with write(2) on its file descriptor, when it is a pipe or a regular file (never a
 * terminal: process.stdout keeps a terminal's width and modes), else undefined. The bytes and their
 * order are those of process.stdout, which writes a pipe or a file at once too. A reader that has
 * gone (EPIPE) ends the process quietly, as it does with process.stdout (signals.ts); a stdout that
 * would block (another process made the pipe non-blocking) hands the rest, and everything after
 * it, to process.stdout, which waits for the pipe. Anything else asked of it is process.stdout's.
 */
export function directStdout(fd = 1, write: typeof writeSync = writeSync, target: NodeJS.Process = process): Stdout | undefined {
  try {
    const stat = fstatSync(fd);
    if (!stat.isFIFO() && !stat.isFile()) return undefined;
  } catch {
    return undefined;
  }
  let handedOver = false;
  const writeDirect = (chunk: string | Uint8Array, encoding?: BufferEncoding | Callback, callback?: Callback): boolean => {
    const done = typeof encoding === 'function' ? encoding : callback;
    if (handedOver) return target.stdout.write(chunk, done);
    let rest = typeof chunk === 'string' ? Buffer.from(chunk, typeof encoding === 'string' ? encoding : 'utf8') : chunk;
    while (rest.length > 0) {
      try {
        rest = rest.subarray(write(fd, rest));
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EPIPE') {
          exitOnClosedPipe(target);
          return true;
        }
        if (code !== 'EAGAIN') throw error;
        handedOver = true;
        return target.stdout.write(rest, done);
      }
    }
    if (done) process.nextTick(done);
    return true;
  };
  return new Proxy({} as Stdout, {
    get(_, name) {
      if (name === 'write') return writeDirect;
      // What process.stdout says of a pipe or a file.
      if (name === 'isTTY') return false;
      if (name === 'columns') return undefined;
      const value: unknown = Reflect.get(target.stdout, name);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target.stdout) : value;
    },
  });
}
