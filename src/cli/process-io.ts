import type { Io } from '../core/io.js';

/** The real terminal: the only place below bin/ that names process.stdout, stderr and stdin. */
export function processIo(): Io {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin };
}
