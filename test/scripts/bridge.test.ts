/**
 * scripts/kube/bridge.mjs, the forwarder that carries Argo's controller's API traffic out of its
 * network namespace: TCP -> Unix socket -> TCP, both ways, on loopback.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';

const BRIDGE = fileURLToPath(new URL('../../scripts/kube/bridge.mjs', import.meta.url));
const cleanup: Array<() => void> = [];
afterEach(() => {
  for (const step of cleanup.splice(0).reverse()) step();
});

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(() => server.close());
  return (server.address() as AddressInfo).port;
}

async function bridge(listenOn: string, target: string, ready: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [BRIDGE, listenOn, target, ready], { stdio: 'ignore' });
  cleanup.push(() => child.kill('SIGKILL'));
  for (let i = 0; i < 200 && !existsSync(ready); i++) await new Promise((r) => setTimeout(r, 25));
  expect(existsSync(ready), `${listenOn} is listening`).toBe(true);
  return child;
}

it('carries bytes both ways from a TCP port through a Unix socket to another TCP port', { timeout: 20_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'thoth-bridge-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const upstream = await listen(createServer((socket) => socket.on('data', (data) => socket.write(`echo:${data.toString()}`))));
  const free = await listen(createServer());
  cleanup.pop()!(); // its port is free again for the near end of the bridge
  const socket = join(dir, 'api.sock');
  await bridge(`unix:${socket}`, `tcp:127.0.0.1:${upstream}`, join(dir, 'far.ready'));
  await bridge(`tcp:127.0.0.1:${free}`, `unix:${socket}`, join(dir, 'near.ready'));

  const answer = await new Promise<string>((resolve, reject) => {
    const client = connect(free, '127.0.0.1', () => client.write('ping'));
    client.once('data', (data) => {
      resolve(data.toString());
      client.destroy();
    });
    client.once('error', reject);
  });
  expect(answer).toBe('echo:ping');
});

it('refuses an endpoint that is not loopback TCP or a Unix socket', async () => {
  const child = spawn(process.execPath, [BRIDGE, 'tcp:0.0.0.0:1', 'unix:/tmp/x'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  expect(code).not.toBe(0);
  expect(stderr).toMatch(/not an endpoint \(unix:\/path or tcp:127\.0\.0\.1:PORT\): tcp:0\.0\.0\.0:1/);
});
