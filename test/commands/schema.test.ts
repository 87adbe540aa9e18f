import { describe, expect, test } from 'vitest';
import { MESSAGE_TYPES, messageType } from '../../src/messages/catalogue.js';
import { jsonSchema } from '../../src/messages/schema.js';
import { runThoth } from '../support/cli.js';

describe('thoth schema', () => {
  test('prints the JSON Schema of a type as pretty JSON on stdout', async () => {
    const result = await runThoth(['schema', 'unresolved-package']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toBe(`${JSON.stringify(jsonSchema(messageType('unresolved-package')), null, 2)}\n`);
    expect(JSON.parse(result.stdout).required).toEqual(['component_name', 'service_version', 'package_name', 'index_url']);
  });

  test('accepts a base topic', async () => {
    const result = await runThoth(['schema', 'thoth.solver.solved-package']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).title).toBe('solved-package');
  });

  test('an unknown type exits 2, suggests the nearest and lists every type', async () => {
    const result = await runThoth(['schema', 'solved-pakage']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`error: unknown message type "solved-pakage" (did you mean 'solved-package'?)`);
    for (const type of MESSAGE_TYPES) expect(result.stderr).toContain(type.name);
  });

  test('--list prints one tab-separated line per type when piped', async () => {
    const result = await runThoth(['schema', '--list']);
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(20);
    expect(lines).toContain('unresolved-package\tthoth.investigator.unresolved-package\tv1');
    expect(lines).toContain('adviser-trigger\tthoth.adviser-trigger\tv5');
  });

  test('with no type it lists too; on a terminal as an aligned table with a header', async () => {
    const result = await runThoth(['schema'], { tty: true });
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^TYPE +BASE TOPIC +VERSION$/);
    expect(lines).toHaveLength(21);
    const column = lines[0].indexOf('BASE TOPIC');
    for (const line of lines.slice(1)) expect(line.slice(column)).toMatch(/^thoth\./);
  });

  test('--list takes -o json, the global -o too, and -o name', async () => {
    for (const argv of [
      ['schema', '--list', '-o', 'json'],
      ['-o', 'json', 'schema', '--list'],
      ['schema', '--list', '-o', 'JSON'],
    ]) {
      const result = await runThoth(argv);
      expect(result).toMatchObject({ code: 0, stderr: '' });
      const list = JSON.parse(result.stdout) as Array<{ type: string }>;
      expect(list).toHaveLength(20);
      expect(list).toContainEqual({ type: 'unresolved-package', base_topic: 'thoth.investigator.unresolved-package', version: 'v1' });
    }
    const names = await runThoth(['schema', '-o', 'name']);
    expect(names.stdout.trimEnd().split('\n')).toEqual(MESSAGE_TYPES.map((t) => t.name));
  });

  test('a schema prints as YAML with -o yaml; a table of one schema is refused', async () => {
    const yaml = await runThoth(['schema', 'unresolved-package', '-o', 'yaml']);
    expect(yaml.code).toBe(0);
    expect(yaml.stdout).toContain('title: unresolved-package\n');
    const table = await runThoth(['schema', 'unresolved-package', '-o', 'table']);
    expect(table).toMatchObject({ code: 2, stdout: '' });
    expect(table.stderr).toContain('-o table applies to the list of types (--list); a schema prints as json or yaml');
  });

  test('an unknown -o lists the valid choices and suggests one', async () => {
    for (const argv of [
      ['schema', '--list', '-o', 'jsn'],
      ['-o', 'jsn', 'schema', '--list'],
    ]) {
      const result = await runThoth(argv);
      expect(result).toMatchObject({ code: 2, stdout: '' });
      expect(result.stderr).toContain(`-o must be one of table, wide, json, yaml, name, got "jsn" (did you mean 'json'?)`);
    }
  });

  test('--help shows examples', async () => {
    const result = await runThoth(['schema', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('$ thoth schema unresolved-package');
    expect(result.stdout).toContain('--list');
  });
});
