/**
 * The processes of the loopback cluster: each runs detached in a process group of its own
 * with its output in a log file, and is stopped only when /proc still shows the command we
 * started under that pid (a stale state file must never make us signal someone else's process).
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

/** True when `pid` runs and its command line still contains `match` (the binary we started). */
export function isOurs({ pid, match }) {
  if (!pid || !alive(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(match);
  } catch {
    return false;
  }
}

/** Starts `command` detached, output appended to `logFile`; returns { pid, match } for isOurs/stopProcess. */
export function startDetached(command, args, { logFile, env = process.env, match = command }) {
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(command, args, { stdio: ['ignore', fd, fd], detached: true, env });
    child.unref();
    // A missing binary reports ENOENT asynchronously; the caller's readiness wait then sees it gone.
    child.on('error', (error) => writeFileSync(logFile, `cannot start ${command}: ${error.message}\n`, { flag: 'a' }));
    return { pid: child.pid, match };
  } finally {
    closeSync(fd);
  }
}

/**
 * The live members of process group `pgid` whose command line contains `match`: the group
 * outlives its leader when a child (the controller's in-namespace bridge) is left behind.
 */
function groupMembers(pgid, match) {
  const members = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Field 5 of /proc/<pid>/stat is the process group; the command (field 2) may hold spaces, so count from its ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const pgrp = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
      if (pgrp === pgid && readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(match)) members.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return members;
}

/**
 * SIGTERM to what is left of the process group we started (only members whose command line
 * still names our state), SIGKILL after `graceMs`.
 */
export async function stopProcess(proc, graceMs = 10_000) {
  const members = () => groupMembers(proc.pid, proc.match);
  const signal = (name) => {
    for (const pid of members()) {
      try {
        process.kill(pid, name);
      } catch {
        // already gone
      }
    }
  };
  if (members().length === 0) return false;
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (members().length > 0 && Date.now() < deadline) await sleep(50);
  signal('SIGKILL');
  while (members().length > 0 && Date.now() < deadline + 5000) await sleep(50);
  return true;
}

/** `count` distinct free loopback ports, all held open until every one is chosen. */
export async function freePorts(count) {
  const servers = [];
  try {
    for (let i = 0; i < count; i += 1) {
      const server = createServer();
      servers.push(server);
      await new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', resolve);
      });
    }
    return servers.map((server) => server.address().port);
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(() => resolve()))));
  }
}

export function tail(file, lines = 30) {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Runs `fn` holding a lock directory (mkdir is atomic); a lock whose owner died is taken over.
 * Used by `fetch`, so two checkouts sharing THOTH_KUBE_CACHE never build into it at once.
 */
export async function withLock(path, fn) {
  let noticed = false;
  for (;;) {
    try {
      mkdirSync(path);
      writeFileSync(`${path}/pid`, String(process.pid));
      break;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      let owner = 0;
      try {
        owner = Number(readFileSync(`${path}/pid`, 'utf8'));
      } catch {
        // the owner is between mkdir and writing its pid
      }
      if (owner && !alive(owner)) {
        rmSync(path, { recursive: true, force: true });
        continue;
      }
      if (!noticed) process.stderr.write(`kube: waiting for another fetch (pid ${owner || '?'}) to finish with ${path}\n`);
      noticed = true;
      await sleep(2000);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(path, { recursive: true, force: true });
  }
}
