import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BIN, runThoth } from '../support/cli.js';
import { lines, site } from './publish-support.js';

describe('thoth tail arguments', () => {
  it.each([
    [['tail', 'solvd-package'], 'unknown message type "solvd-package" (did you mean \'solved-package\'?)'],
    [['tail'], 'name at least one message type or topic, or --all'],
    [['tail', 'solved-package', '--from-beginning', '--since', '10m'], '--from-beginning and --since cannot be used together'],
    [
      ['tail', 'solved-package', '--since', 'last week'],
      '--since expects a duration like 10m, 2h, 1d or an ISO-8601 date, got "last week"',
    ],
    [['tail', 'solved-package', '--count', '0'], '--count must be a positive integer, got "0"'],
    [['tail', 'solved-package', '--offset', '3.5'], '--offset must be a non-negative integer, got "3.5"'],
    [['tail', 'solved-package', '--offset', '-0'], '--offset -N takes the last N records of each partition, N at least 1, got "-0"'],
    [
      ['tail', 'solved-package', '--filter', 'pakage_name=requests'],
      '--filter: no tailed message type has a field "pakage_name" (did you mean \'package_name\'?)',
    ],
    [['tail', 'solved-package', '--filter', 'package_name'], '--filter expects field=value, got "package_name"'],
    [['tail', 'solved-package', '--partition', 'first'], '--partition must be a non-negative integer, got "first"'],
    [
      ['tail', 'solved-package', '--partition', '0', '--group', 'g'],
      '--partition and --group cannot be used together: a group assigns its members their partitions',
    ],
    [['tail', 'solved-package', '-o', 'jsn'], `-o must be one of table, wide, json, yaml, ndjson, got "jsn" (did you mean 'json'?)`],
    [
      ['tail', 'solved-package', '--deployment-name', 'a/b'],
      '--deployment-name "a/b" cannot prefix a topic: a deployment name may contain only ASCII letters',
    ],
  ])('%j', async (args, message) => {
    const s = site('embedded');
    const result = await s.thoth(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stdout).toBe('');
  });
});

describe('thoth tail output', () => {
  it('is pretty on a terminal and ndjson when piped', async () => {
    const s = site('embedded');
    await s.thoth(['publish', 'solved-package', 'requests==2.25.1', '--solver', 'solver-rhel-8-py38', '--key', 'k1']);
    const onTerminal = await s.thoth(['tail', 'solved-package', '--exit-at-end'], { tty: true });
    expect(onTerminal.stdout).toMatch(
      new RegExp(
        `^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z  thoth\\.solver\\.solved-package  0@0  key=k1  solved-package v1  from thoth \\d+\\.\\d+\\.\\d+\\n`,
      ),
    );
    expect(onTerminal.stdout).toMatch(/\n {2}package_name +requests\n/);
    expect(onTerminal.stdout).toMatch(/\n {2}solver +solver-rhel-8-py38\n/);
    expect(onTerminal.stdout).not.toContain('component_name');
    const piped = await s.thoth(['tail', 'solved-package', '--exit-at-end']);
    expect(lines(piped.stdout)[0]).toMatchObject({ topic: `${s.deployment}.thoth.solver.solved-package`, key: 'k1' });
  });

  it('reads only the partition --partition names, the last records with --offset -N, and refuses a partition the topic does not have', async () => {
    const s = site('embedded');
    for (const key of ['k1', 'k2', 'k3'])
      await s.thoth(['publish', 'solved-package', 'requests==2.25.1', '--solver', 'solver-rhel-8-py38', '--key', key]);
    // The embedded broker's one partition: --offset and --count then name one record.
    // kcat's letters: -p, -c (and -e below).
    const one = await s.thoth(['tail', 'solved-package', '-p', '0', '--offset', '1', '-c', '1']);
    expect(one.code).toBe(0);
    expect(lines(one.stdout)).toMatchObject([{ partition: 0, offset: 1, key: 'k2' }]);
    expect(one.stderr).toContain(`tailing ${s.deployment}.thoth.solver.solved-package, partition 0 (Ctrl-C to stop)`);
    // --offset -N: the last N of the partition (more than it holds: all of them).
    const last = await s.thoth(['tail', 'solved-package', '--offset', '-2', '-e']);
    expect(lines(last.stdout).map((r) => r.key)).toEqual(['k2', 'k3']);
    const all = await s.thoth(['tail', 'solved-package', '--offset', '-9', '--exit-at-end']);
    expect(lines(all.stdout).map((r) => r.key)).toEqual(['k1', 'k2', 'k3']);
    const none = await s.thoth(['tail', 'solved-package', '--partition', '0,2', '--exit-at-end']);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain(`error: topic ${s.deployment}.thoth.solver.solved-package has no partition 2: it has 1 partition (0)`);
    // Refused before it says what it reads.
    expect(none.stderr).not.toContain('tailing');
    expect(none.stdout).toBe('');
  });

  it('reads a raw topic name and tells untyped messages apart from invalid ones', async () => {
    const s = site('embedded');
    const other = s.elsewhere();
    // A full topic of another deployment is read as given, and still typed by its base name.
    await other.thoth(['publish', 'repo-init', '--field', 'project_url=https://git.example/demo']);
    const raw = await s.thoth(['tail', `${other.deployment}.thoth.repo-init`, '--exit-at-end', '-o', 'json']);
    expect(JSON.parse(raw.stdout)).toMatchObject([{ topic: `${other.deployment}.thoth.repo-init`, type: 'repo-init' }]);
    const none = await s.thoth(['tail', 'custom.topic', '--exit-at-end', '-o', 'json']);
    expect(none.code).toBe(0);
    expect(JSON.parse(none.stdout)).toEqual([]);
  });

  it('closes the JSON array and exits 130 when interrupted', async () => {
    const s = site('embedded');
    const controller = new AbortController();
    setTimeout(() => controller.abort('SIGINT'), 500);
    const result = await s.thoth(['tail', 'solved-package', '-o', 'json'], { signal: controller.signal });
    expect(result.code).toBe(130);
    expect(JSON.parse(result.stdout)).toEqual([]);
  });

  it('shows a message published by another process while it runs', async () => {
    const s = site('embedded');
    const tail = spawn(process.execPath, [BIN, ...s.args, 'tail', 'unresolved-package', '--count', '1', '-o', 'ndjson'], { env: s.env });
    let stdout = '';
    let stderr = '';
    tail.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    tail.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => tail.on('close', resolve));
    const killer = setTimeout(() => tail.kill('SIGKILL'), 30_000);
    try {
      // Publish only once the tail is following, so that it sees the message as new.
      while (!stderr.includes('tailing') && tail.exitCode === null) await new Promise((r) => setTimeout(r, 50));
      expect(stderr).toContain('tailing');
      await new Promise((r) => setTimeout(r, 300));
      const published = await runThoth([...s.args, 'publish', 'unresolved-package', 'requests==2.25.1'], { env: s.env });
      expect(published.code).toBe(0);
      expect(await exited).toBe(0);
    } finally {
      clearTimeout(killer);
      tail.kill();
    }
    expect(lines(stdout).map((r) => [r.key, r.value.package_name])).toEqual([['requests==2.25.1', 'requests']]);
  });
});
