/**
 * A server that accepts TCP connections and never answers (a wrong port, a
 * hung broker): every command fails with a clear error naming the address,
 * exit 1, no stack trace, and never starts its work.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server, type Socket } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanEnv, spawnThoth } from '../support/cli.js';

let server: Server;
const sockets = new Set<Socket>();
let address: string;

beforeAll(async () => {
  server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  address = `127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => server.close(resolve));
});

function thoth(args: string[]) {
  const home = mkdtempSync(join(tmpdir(), 'thoth-silent-'));
  return spawnThoth(['--broker', `kafka://${address}`, ...args], { env: cleanEnv({ THOTH_HOME: home }), timeoutMs: 90_000 });
}

function expectNoAnswer(result: { code: number; stdout: string; stderr: string }) {
  expect(result.code).toBe(1);
  expect(result.stdout).toBe('');
  expect(result.stderr).toMatch(new RegExp(`error: cannot reach Kafka at ${address.replace(/\./g, '\\.')} \\(no answer within \\d+s\\)`));
  expect(result.stderr).toContain('does not answer Kafka requests');
  expect(result.stderr).not.toMatch(/bug in thoth| {4}at /);
}

describe('a Kafka address that accepts connections but never answers', () => {
  it('makes publish fail with the address, exit 1', async () => {
    expectNoAnswer(await thoth(['publish', 'repo-init', '--field', 'project_url=https://git.example/x/y']));
  }, 120_000);

  it('makes tail fail with the address, exit 1, without announcing that it is tailing', async () => {
    const result = await thoth(['tail', 'solved-package', '--exit-at-end']);
    expectNoAnswer(result);
    expect(result.stderr).not.toContain('tailing');
  }, 120_000);
});
