/**
 * argv → typed options, one table per command (gh's style): each row parses
 * with the command's own declaration, as the dispatch core does, and checks
 * the options its run receives; refused values name the rule.
 */
import { describe, expect, it } from 'vitest';
import type { CommandDefinition, ParseContext } from '../../src/commands/command.js';
import { cacheCommand } from '../../src/commands/cache.js';
import { investigateCommand } from '../../src/commands/investigate.js';
import { parseOptions } from '../../src/commands/parse.js';
import { publishCommand } from '../../src/commands/publish.js';
import { queryCommand } from '../../src/commands/query.js';
import { replayCommand } from '../../src/commands/replay.js';
import { schemaCommand } from '../../src/commands/schema.js';
import { submitCommand } from '../../src/commands/submit.js';
import { tailCommand } from '../../src/commands/tail.js';
import { topicsCommand } from '../../src/commands/topics.js';
import { readSettings } from '../../src/config/settings.js';

const NOW = Date.parse('2026-11-27T12:00:00Z');
const INDEX = 'https://index.example/simple';

function context(env: NodeJS.ProcessEnv = {}, isTTY = false): ParseContext {
  return { settings: readSettings({ HOME: '/home/thoth', ...env }), isTTY, now: NOW };
}

function parsed<O>(definition: CommandDefinition<O>, argv: string[], parse = context()): O {
  return parseOptions(definition, argv, parse);
}

function refusal<O>(definition: CommandDefinition<O>, argv: string[], parse = context()): string {
  try {
    parseOptions(definition, argv, parse);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`${argv.join(' ')} was accepted`);
}

describe('tail options', () => {
  it.each([
    [
      ['solved-package'],
      { topics: ['thoth.solver.solved-package'], start: { from: 'latest' }, exitAtEnd: false, format: 'ndjson', filters: [] },
    ],
    [
      ['solved-package', '--exit-at-end', '--count', '3', '-o', 'json'],
      { start: { from: 'earliest' }, exitAtEnd: true, count: 3, format: 'json' },
    ],
    [['solved-package', '--since', '10m'], { start: { from: 'timestamp', timestamp: NOW - 600_000 } }],
    [['solved-package', '--offset', '0', '--group', 'g'], { start: { from: 'offset', offset: 0 }, group: 'g' }],
    [['solved-package', '--filter', 'package_name=Flask'], { filters: [{ path: ['package_name'], expected: 'Flask' }] }],
    [['dead-letter', 'custom.topic'], { topics: ['thoth.investigator.dead-letter', 'custom.topic'] }],
    // Any case; `pretty`, the old name of the table, still works.
    [['solved-package', '-o', 'WIDE'], { format: 'wide' }],
    [['solved-package', '-o', 'pretty'], { format: 'table' }],
    [['solved-package', '-o', 'yaml'], { format: 'yaml' }],
  ])('%j', (argv, expected) => {
    expect(parsed(tailCommand, argv)).toMatchObject(expected);
  });

  it('defaults to a table on a terminal and prefixes the deployment name', () => {
    expect(parsed(tailCommand, ['solved-package'], context({ THOTH_DEPLOYMENT_NAME: 'staging' }, true))).toMatchObject({
      topics: ['staging.thoth.solver.solved-package'],
      format: 'table',
      deploymentName: 'staging',
    });
  });

  it.each([
    [['solved-package', '-o', 'name'], '-o must be one of table, wide, json, yaml, ndjson, got "name"'],
    [['solved-package', '--count', '0'], '--count must be a positive integer, got "0"'],
    [['solved-package', '--since', 'yesterday'], '--since expects a duration like 10m, 2h, 1d or an ISO-8601 date, got "yesterday"'],
    [['solved-package', '--from-beginning', '--offset', '3'], '--from-beginning and --offset cannot be used together'],
    [[], 'name at least one message type or topic, or --all'],
  ])('refuses %j', (argv, message) => {
    expect(refusal(tailCommand, argv)).toContain(message);
  });
});

describe('publish options', () => {
  it('builds the flags for the message', () => {
    const options = parsed(publishCommand, [
      'unresolved-package',
      'requests==2.25.1',
      '--index-url',
      INDEX,
      '--field',
      'solver=solver-rhel-8-py38',
      '--header',
      'a=1',
      '--adviser-id',
      'adv-1',
      '--recommendation-type',
      'stable',
      '--dry-run',
    ]);
    expect(options).toMatchObject({
      type: { name: 'unresolved-package' },
      flags: {
        spec: 'requests==2.25.1',
        indexUrl: INDEX,
        fields: ['solver=solver-rhel-8-py38'],
        headers: ['a=1'],
        adviserId: 'adv-1',
        recommendationType: 'stable',
      },
      dryRun: true,
      showSecrets: false,
      skipInvalid: false,
      output: 'ndjson',
    });
    expect(parsed(publishCommand, ['solved-package'], context({}, true)).output).toBe('table');
  });

  it.each([
    [['unresolved-pkg'], 'unknown message type "unresolved-pkg"'],
    [['unresolved-package', '--json', '{}', '--file', 'x.ndjson'], '--json and --file cannot be used together'],
    [
      ['unresolved-package', '--adviser-id', 'a', '--recommendation-type', 'bogus'],
      '--recommendation-type must be one of latest, stable, testing, performance, security, got "bogus"',
    ],
    [['solved-package', '--adviser-id', 'a'], '--adviser-id applies to unresolved-package only'],
    [['solved-package', '-o', 'xml'], `-o must be one of table, wide, json, yaml, ndjson, got "xml" (did you mean 'yaml'?)`],
  ])('refuses %j', (argv, message) => {
    expect(refusal(publishCommand, argv)).toContain(message);
  });
});

describe('replay options', () => {
  it.each([
    [
      ['a.ndjson'],
      { files: ['a.ndjson'], pace: { kind: 'asap' }, validateOnly: false, output: 'table', batchSize: 2000, deliveryTimeoutMs: 300_000 },
    ],
    [['a.ndjson', 'b.ndjson', '--rate', '100/s'], { files: ['a.ndjson', 'b.ndjson'], pace: { kind: 'rate', perSecond: 100 } }],
    [
      ['a.ndjson', 'b.ndjson', '--resume-from', 'b.ndjson:501', '--retry-for', '30s'],
      { resumeFrom: { file: 'b.ndjson', line: 501 }, deliveryTimeoutMs: 30_000 },
    ],
    [['a.ndjson', '--resume-from', '7'], { resumeFrom: { line: 7 } }],
    [
      ['-', '--speed', '0.5', '--validate-only', '-o', 'json'],
      { pace: { kind: 'speed', factor: 0.5 }, validateOnly: true, output: 'json' },
    ],
  ])('%j', (argv, expected) => {
    expect(parsed(replayCommand, argv)).toMatchObject(expected);
  });

  it.each([
    [[], 'name at least one recorded stream'],
    [['-', '-'], 'stdin (-) can be read only once'],
    [['a', '--rate', '1', '--speed', '2'], '--rate and --speed cannot be used together'],
    [['a', '--resume-from', 'c:3'], '--resume-from names "c", which is not one of the files to replay'],
    [['a', '--resume-from', 'a:0'], '--resume-from expects LINE or FILE:LINE (a line number from 1)'],
    [['a', '--retry-for', 'soon'], '--retry-for expects a duration like 30s, 5m or 1h'],
    [['a', '-o', 'ndjson'], `-o must be one of table, wide, json, yaml, got "ndjson" (did you mean 'json'?)`],
  ])('refuses %j', (argv, message) => {
    expect(refusal(replayCommand, argv)).toContain(message);
  });
});

describe('investigate options', () => {
  it.each([
    [['--from', 'f.ndjson'], 'ndjson'],
    [['--from', 'f.ndjson', '-o', 'text'], 'table'],
    [['--from', 'f.ndjson', '-o', 'json'], 'json'],
  ])('%j prints %s', (argv, format) => {
    expect(parsed(investigateCommand, argv).format).toBe(format);
  });

  it('reads the settings under the flags', () => {
    const options = parsed(
      investigateCommand,
      [
        '--from',
        'f.ndjson',
        '--mode',
        'middletier',
        '--no-schedule-security',
        '--namespace',
        'thoth',
        '--workflows',
        'record',
        '--port',
        'none',
      ],
      context({ THOTH_SOLVERS: 'solver-ubi-9-py311', THOTH_INDEX_URLS: INDEX, KAFKA_CONSUMER_GROUP_ID: 'g1' }),
    );
    expect(options).toMatchObject({
      config: { solvers: ['solver-ubi-9-py311'], modes: ['middletier'], indexUrls: [INDEX], schedule: { security: false, solver: true } },
      from: 'f.ndjson',
      group: 'g1',
      startFrom: 'earliest',
      workflows: 'record',
      namespaces: { namespace: 'thoth' },
      port: null,
      portGiven: true,
      host: '127.0.0.1',
      maxAttempts: 8,
      maxBytes: 1024 * 1024,
      maxInFlight: 8,
      format: 'ndjson',
    });
  });

  it('listens on every address inside Kubernetes and takes the port and limits given', () => {
    expect(
      parsed(
        investigateCommand,
        ['--port', '0', '--pending-limit', '20', '--until-idle', '1.5', '--batch-max', '50', '--batch-ms', '200', '--max-in-flight', '3'],
        context({ KUBERNETES_SERVICE_HOST: '10.0.0.1' }),
      ),
    ).toMatchObject({
      host: '0.0.0.0',
      port: 0,
      pendingLimit: 20,
      batch: { maxRecords: 50, maxMs: 200 },
      maxInFlight: 3,
      untilIdleMs: 1500,
      group: 'thoth.investigator',
    });
  });

  it.each([
    [['--workflows', 'somewhere'], '--workflows must be "cluster" or "record", got "somewhere"'],
    [['--mode', 'frontend'], '--mode: unknown mode "frontend"'],
    [['--port', '70000'], '--port must be 0-65535'],
    [['--from', 'f', '--until-idle', '3'], '--until-idle applies to a broker'],
    [['--group', ' '], '--group must name a consumer group'],
    [['--batch-max', '0'], '--batch-max must be a positive integer, got "0"'],
    [['--batch-ms', 'soon'], '--batch-ms must be a positive integer, got "soon"'],
    [['--max-in-flight', '0'], '--max-in-flight must be a positive integer, got "0"'],
    [['-o', 'name'], '-o must be one of table, wide, json, yaml, ndjson, got "name"'],
    [['--expect', 'e.json'], '--expect applies to a --from run'],
    [['--allow-dead-letters'], '--allow-dead-letters applies to a --from run'],
  ])('refuses %j', (argv, message) => {
    expect(refusal(investigateCommand, argv)).toContain(message);
  });
});

describe('submit options', () => {
  it('builds the request from the kind, the package and the settings', () => {
    const options = parsed(
      submitCommand,
      ['solver', 'requests==2.25.1', '--namespace', 'thoth', '--wait', '--timeout', '5m', '-p', 'THOTH_FORCE_SYNC=1'],
      context({ THOTH_INDEX_URLS: INDEX }),
    );
    expect(options).toMatchObject({
      target: {
        kind: 'flags',
        request: {
          kind: 'solver',
          parameters: {
            THOTH_SOLVER_NAME: 'solver-rhel-8-py38',
            THOTH_SOLVER_PACKAGES: 'requests===2.25.1',
            THOTH_SOLVER_INDEXES: INDEX,
            THOTH_FORCE_SYNC: '1',
          },
        },
      },
      namespace: 'thoth',
      output: 'name',
      wait: true,
      timeoutMs: 300_000,
    });
  });

  it('leaves a workflow file to be read when the command runs', () => {
    expect(parsed(submitCommand, ['-f', 'wf.yaml', '-p', 'A=1', '--dry-run', 'server', '-o', 'yaml'])).toMatchObject({
      target: { kind: 'file', path: 'wf.yaml', parameters: ['A=1'], secrets: [], force: false },
      dryRun: 'server',
      output: 'yaml',
    });
  });

  it.each([
    [['solver', 'requests==2.25.1', '-o', 'table'], '-o must be one of json, yaml, name, got "table"'],
    [['solver', 'requests==2.25.1', '--dry-run', 'yes'], '--dry-run must be client or server (got "yes")'],
    [['solver', 'requests==2.25.1', '--wait', '--watch'], '--wait and --watch cannot be used together'],
    [['solver', 'requests==2.25.1', '--timeout', '5m'], '--timeout limits --wait or --watch'],
    [['nosuchkind'], 'unknown workflow kind "nosuchkind"'],
    [[], 'missing workflow kind (or -f FILE)'],
    [['solver', '-f', 'wf.yaml'], 'give either a kind or -f FILE, not both'],
  ])('refuses %j', (argv, message) => {
    expect(refusal(submitCommand, argv)).toContain(message);
  });
});

describe('query options', () => {
  it.each([
    [['package', 'requests', '2.25.1'], { request: { what: 'package', name: 'requests', version: '2.25.1' }, format: 'json' }],
    [['unresolved', '--all', '--limit', '5', '-o', 'yaml'], { request: { what: 'unresolved', all: true, limit: 5 }, format: 'yaml' }],
    [['unsolved', '--solver', 'solver-fedora-35-py310'], { request: { what: 'unsolved', solver: 'solver-fedora-35-py310' } }],
    [
      ['workflows', '--kind', 'solver', '--status', 'Failed', '--since', '2h'],
      { request: { what: 'workflows', kind: 'solver', status: 'Failed', since: new Date(NOW - 7_200_000).toISOString() } },
    ],
    [['sql', 'SELECT 1'], { request: { what: 'sql', text: 'SELECT 1' } }],
    [['workflows', '--status', 'failed', '--kind', 'Solver'], { request: { what: 'workflows', kind: 'solver', status: 'Failed' } }],
    [['stats'], { request: { what: 'stats' }, solvers: ['solver-rhel-8-py38', 'solver-fedora-34-py39', 'solver-fedora-35-py310'] }],
  ])('%j', (argv, expected) => {
    expect(parsed(queryCommand, argv)).toMatchObject(expected);
  });

  it.each([
    [['workflows', '--kind', 'solvers'], '--kind must be one of solver, revsolver'],
    [['stats', '-o', 'xml'], `-o must be one of table, wide, json, yaml, got "xml" (did you mean 'yaml'?)`],
    [['stats', '-o', 'name'], '-o must be one of table, wide, json, yaml, got "name"'],
    [['workflows', '--status', 'done'], '--status must be one of recorded, Pending, Running, Succeeded, Failed, Error, got "done"'],
    [['workflows', '--since', 'yesterday'], 'expected a duration such as 10m, 2h, 3d'],
    [['unsolved', '--limit', 'x'], 'expected a whole number'],
    [['nonsense'], "unknown command 'nonsense'"],
  ])('refuses %j', (argv, message) => {
    expect(refusal(queryCommand, argv)).toContain(message);
  });
});

describe('topics and schema options', () => {
  it.each([
    [[], { create: false, output: 'json' }],
    [
      ['create', '--partitions', '3', '--replication-factor', '1', '-o', 'table'],
      { create: true, partitions: 3, replicationFactor: 1, output: 'table' },
    ],
  ])('topics %j', (argv, expected) => {
    expect(parsed(topicsCommand, argv)).toMatchObject(expected);
  });

  it('refuses an unknown topics action', () => {
    expect(refusal(topicsCommand, ['delete'])).toContain('unknown action "delete": thoth topics lists, thoth topics create creates');
  });

  it.each([
    [['unresolved-package'], { typeName: 'unresolved-package', output: 'json' }],
    [['unresolved-package', '-o', 'YAML'], { typeName: 'unresolved-package', output: 'yaml' }],
    [['unresolved-package', '--list'], { output: 'table' }],
    [['-o', 'name'], { output: 'name' }],
  ])('schema %j', (argv, expected) => {
    expect(parsed(schemaCommand, argv)).toEqual(expected);
  });
});

describe('cache options', () => {
  it.each([
    [['sync'], { action: 'sync', follow: false, format: 'json' }],
    [['sync', '--follow', '-o', 'table'], { action: 'sync', follow: true, format: 'table' }],
    [['rebuild', '-o', 'yaml'], { action: 'rebuild', format: 'yaml' }],
  ])('cache %j', (argv, expected) => {
    expect(parsed(cacheCommand, argv)).toEqual(expected);
  });

  it('shows the human form on a terminal', () => {
    expect(parsed(cacheCommand, ['sync'], context({}, true))).toMatchObject({ format: 'table' });
  });

  it.each([
    [['sync', '-o', 'ndjson'], '-o must be one of table, json, yaml, got "ndjson"'],
    [['check-everything'], "unknown command 'check-everything'"],
  ])('refuses %j', (argv, message) => {
    expect(refusal(cacheCommand, argv)).toContain(message);
  });
});
