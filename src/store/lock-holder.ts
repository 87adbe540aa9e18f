/**
 * Who holds the lock on a cache, as far as the system can tell: SQLite says
 * only "database is locked". On Linux, /proc/locks lists the fcntl locks
 * SQLite takes (a writer's on the -shm file of a WAL cache, an exclusive
 * holder's on the file itself) with the pid that holds them; failing that,
 * another process with the file open (/proc/PID/fd). The embedded broker's
 * consumer-group leases in the cache (owners `host:pid:…`) add the group a
 * holder consumes as, or, when /proc names nobody (another host, another
 * container), who works on the file. Else "another process". The holder is named by pid and program only (`thoth investigate`, `node
 * hold.js`): never its options, which may carry credentials.
 */
import { basename, resolve } from 'node:path';
import { readFileSync, readdirSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { terminalSafeLine } from '../core/terminal.js';
import { openSqlite } from './sqlite.js';

/** A device number as /proc/locks writes it (`fe:00`): major and minor, split as Linux's new_encode_dev does. */
function deviceOf(dev: number): { major: number; minor: number } {
  const high = Math.floor(dev / 2 ** 32);
  const low = dev % 2 ** 32;
  return { major: ((low >>> 8) & 0xfff) | ((high & 0xfffff000) >>> 0), minor: (low & 0xff) | ((low >>> 12) & 0xfff00) };
}

interface FileId {
  ino: number;
  major: number;
  minor: number;
}

function fileId(path: string): FileId | undefined {
  try {
    const stat = statSync(path);
    return { ino: stat.ino, ...deviceOf(stat.dev) };
  } catch {
    return undefined;
  }
}

/** Pids (not this one) holding a write lock on one of `files`, read from /proc/locks text. */
export function writeLockPids(locks: string, files: readonly FileId[], self = process.pid): number[] {
  const pids = new Set<number>();
  for (const line of locks.split('\n')) {
    // `1: POSIX  ADVISORY  WRITE 32007 fe:00:9979127 120 120` (a blocked waiter's line starts `1: -> POSIX`)
    const match = /^\d+:\s+\S+\s+\S+\s+WRITE\s+(-?\d+)\s+([0-9a-f]+):([0-9a-f]+):(\d+)\s/.exec(line);
    if (!match || line.includes('->')) continue;
    const pid = Number(match[1]);
    const [major, minor, ino] = [parseInt(match[2], 16), parseInt(match[3], 16), Number(match[4])];
    if (pid <= 0 || pid === self) continue;
    if (files.some((f) => f.ino === ino && f.major === major && f.minor === minor)) pids.add(pid);
  }
  return [...pids];
}

/** Pids (not this one) with one of `paths` open, from /proc/PID/fd. */
function openerPids(proc: string, paths: readonly string[], self = process.pid): number[] {
  const pids: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync(proc);
  } catch {
    return pids;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || Number(entry) === self) continue;
    let fds: string[];
    try {
      fds = readdirSync(`${proc}/${entry}/fd`);
    } catch {
      continue; // gone, or another user's
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(`${proc}/${entry}/fd/${fd}`);
      } catch {
        continue;
      }
      if (paths.includes(target)) {
        pids.push(Number(entry));
        break;
      }
    }
  }
  return pids;
}

/** `thoth investigate`, `node hold.js`, `sqlite3`: a process's program and subcommand, without options or their values. */
export function programOf(argv: readonly string[]): string {
  const [first, ...rest] = argv;
  if (first === undefined || first === '') return '';
  const words = [basename(first)];
  const plain = (arg: string) => /^[A-Za-z0-9][\w.@+-]*$/.test(arg);
  const script = rest.find((arg) => !arg.startsWith('-'));
  const runtime = /^(node|nodejs|python\d*(\.\d+)?|bun|deno)$/.test(words[0]);
  const scriptName = runtime && script !== undefined ? basename(script) : undefined;
  if (scriptName) words.push(scriptName);
  const isThoth = [words[0], scriptName].some((w) => w !== undefined && /^thoth(\.[cm]?js)?$/.test(w));
  if (isThoth) {
    // The subcommand: the first plain word after the program (an option's value such as a URL is not plain).
    const after = rest.slice(scriptName ? rest.indexOf(script!) + 1 : 0);
    const command = after.find((arg) => /^[a-z][a-z-]*$/.test(arg));
    return command ? `thoth ${command}` : 'thoth';
  }
  return words.filter(plain).join(' ') || 'a program';
}

interface Member {
  owner: string;
  group: string;
}

/**
 * The embedded broker's consumer-group members with a live lease in the cache
 * (their ids are `host:pid:…`, src/transport/embedded-group.ts). Read through
 * a read-only connection that does not wait; nothing when it cannot be read.
 */
function liveMembers(path: string, now: number): Member[] {
  try {
    const db = openSqlite(path, { readonly: true, fileMustExist: true, timeout: 0 });
    try {
      return db
        .prepare('SELECT DISTINCT owner, group_id AS "group" FROM log_group_leases WHERE expires_at > ? ORDER BY owner, group_id')
        .all(now) as Member[];
    } finally {
      db.close();
    }
  } catch {
    return [];
  }
}

function describe(proc: string, pid: number, members: readonly Member[]): string {
  let argv: string[] = [];
  try {
    argv = readFileSync(`${proc}/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    // gone, or not ours to read
  }
  const program = programOf(argv);
  const groups = [...new Set(members.filter((m) => m.owner.startsWith(`${hostname()}:${pid}:`)).map((m) => m.group))];
  const details = [program, ...groups.map((g) => `consuming as group ${g}`)].filter(Boolean).join(', ');
  return terminalSafeLine(details ? `pid ${pid} (${details})` : `pid ${pid}`);
}

/** `thoth-0:17:ab12cd34 (group thoth.investigator)`: a member as its lease names it. */
const memberText = (m: Member) => terminalSafeLine(`${m.owner} (group ${m.group})`);

/**
 * Who holds the lock on the cache at `path`: `pid 4242 (thoth investigate,
 * consuming as group thoth.investigator)`; `another process (pid 4242 (thoth
 * investigate) has the file open)` when only who has it open is known;
 * `another process (live consumer-group leases in the cache: host:17:ab12cd34
 * (group thoth.investigator))` when only the embedded broker's leases say who
 * works on it (another host or container); else `another process`.
 * `proc` is where /proc is (tests).
 */
export function lockHolder(path: string, options: { proc?: string; now?: number } = {}): string {
  const proc = options.proc ?? '/proc';
  const members = liveMembers(path, options.now ?? Date.now());
  if (process.platform === 'linux') {
    const files = [path, `${path}-shm`, `${path}-wal`].map(fileId).filter((f): f is FileId => f !== undefined);
    try {
      const holders = writeLockPids(readFileSync(`${proc}/locks`, 'utf8'), files);
      if (holders.length > 0) return holders.map((pid) => describe(proc, pid, members)).join(', ');
    } catch {
      // no /proc/locks: look for who has it open
    }
    const real = [path, `${path}-shm`, `${path}-wal`].map((p) => {
      try {
        return realpathSync(p);
      } catch {
        return resolve(p);
      }
    });
    const openers = openerPids(proc, real);
    if (openers.length > 0)
      return `another process (${openers
        .slice(0, 3)
        .map((pid) => describe(proc, pid, members))
        .join(', ')} has the file open)`;
  }
  if (members.length > 0)
    return `another process (live consumer-group leases in the cache: ${members.slice(0, 3).map(memberText).join(', ')})`;
  return 'another process';
}
