/**
 * `thoth query <what>`: answers from the local knowledge cache (SPEC §6).
 * Declare (a commander parser of the query subcommands), run (read the store
 * through a read-only connection), present (src/commands/query-present.ts).
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { Deps } from '../cli/deps.js';
import { UsageError } from '../cli/errors.js';
import { write } from '../cli/io.js';
import { withDefaultSignals } from '../cli/signals.js';
import type { Store } from '../store/index.js';
import { withStoreErrors } from '../store/errors.js';
import type { CommandModule } from './types.js';
import { presentQuery, type QueryResult } from './query-present.js';

export const DEFAULT_SOLVERS = ['solver-rhel-8-py38', 'solver-fedora-34-py39', 'solver-fedora-35-py310'];

export type QueryRequest =
  | { what: 'package'; name: string; version?: string }
  | { what: 'unresolved'; all: boolean; limit?: number }
  | { what: 'unsolved'; solver?: string; limit?: number }
  | { what: 'si-unanalyzed'; limit?: number }
  | { what: 'missing'; limit?: number }
  | { what: 'workflows'; kind?: string; status?: string; since?: string; limit?: number }
  | { what: 'dead-letters'; limit?: number }
  | { what: 'indexes' }
  | { what: 'stats' }
  | { what: 'sql'; text: string };

export interface QueryOptions {
  request: QueryRequest;
  format: 'table' | 'json' | 'yaml';
  /** The solver environments that count (THOTH_SOLVERS). */
  solvers: string[];
}

/** `10m`, `2h`, `3d`, `45s` before now, or an ISO-8601 time; returned as ISO-8601. */
export function parseSince(text: string, now: number): string {
  const relative = /^(\d+)\s*(s|m|h|d)$/.exec(text.trim());
  if (relative) {
    const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[relative[2] as 's' | 'm' | 'h' | 'd'];
    return new Date(now - Number(relative[1]) * unit).toISOString();
  }
  const at = Date.parse(text);
  if (/^\d{4}-\d{2}-\d{2}/.test(text) && !Number.isNaN(at)) return new Date(at).toISOString();
  throw new InvalidArgumentError('expected a duration such as 10m, 2h, 3d, or an ISO-8601 time such as 2024-05-01T12:00:00Z');
}

function parseLimit(text: string): number {
  if (!/^\d+$/.test(text)) throw new InvalidArgumentError('expected a whole number');
  return Number(text);
}

const EXAMPLES: Record<string, string[]> = {
  package: ['thoth query package requests', 'thoth query package requests 2.25.1 -o json'],
  unresolved: ['thoth query unresolved', 'thoth query unresolved --all -o json'],
  unsolved: ['thoth query unsolved --solver solver-fedora-35-py310 --limit 50'],
  'si-unanalyzed': ['thoth query si-unanalyzed'],
  missing: ['thoth query missing -o yaml'],
  workflows: ['thoth query workflows --kind solver --status Failed', 'thoth query workflows --since 2h -o json'],
  'dead-letters': ['thoth query dead-letters -o json | jq .[].reason'],
  indexes: ['thoth query indexes'],
  stats: ['thoth query stats'],
  sql: [`thoth query sql "SELECT package_name, count(*) FROM package_versions GROUP BY 1 ORDER BY 2 DESC LIMIT 10"`],
};

/** The query subcommands; `onParsed` receives the request of the one invoked. */
export function queryParser(deps: Pick<Deps, 'io' | 'now'>, onParsed: (request: QueryRequest, output: string | undefined) => void): Command {
  const root = new Command('thoth').exitOverride();
  const query = root
    .command('query')
    .description('Ask the local knowledge cache what is known')
    .exitOverride()
    .configureOutput({ writeOut: (t) => deps.io.stdout.write(t), writeErr: (t) => deps.io.stderr.write(t) })
    .addHelpText('after', `\nOutput: -o table (default on a terminal), json (default when piped) or yaml.\nThe cache is opened read-only: a query never changes what it holds (a cache written by an\nolder thoth has its schema upgraded once, as every command does). Ctrl-C stops a long query.\n\nExamples:\n${Object.values(EXAMPLES).flat().map((e) => `  $ ${e}`).join('\n')}`);
  const sub = (name: string, description: string, list = true) => {
    const command = query
      .command(name)
      .description(description)
      .exitOverride()
      .configureOutput({ writeOut: (t) => deps.io.stdout.write(t), writeErr: (t) => deps.io.stderr.write(t) })
      .addOption(new Option('-o, --output <format>', 'table, json or yaml').choices(['table', 'json', 'yaml']))
      .addHelpText('after', `\nExamples:\n${EXAMPLES[name]!.map((e) => `  $ ${e}`).join('\n')}`);
    if (list) command.option('--limit <n>', 'at most N rows', parseLimit);
    return command;
  };
  const done = (request: QueryRequest) => (options: { output?: string }) => onParsed(request, options.output);
  const limited = (options: { limit?: number }) => (options.limit === undefined ? {} : { limit: options.limit });

  sub('package', 'versions, solver results, flags, hashes, workflows and pending requests of one package', false)
    .argument('<name>', 'package name (any case; normalised per PEP 503)')
    .argument('[version]', 'one version only')
    .action((name: string, version: string | undefined, o) => done({ what: 'package', name, ...(version ? { version } : {}) })(o));
  sub('unresolved', 'requests still waiting for a solver result, newest first')
    .option('--all', 'include requests that are resolved by now')
    .action((o) => done({ what: 'unresolved', all: Boolean(o.all), ...limited(o) })(o));
  sub('unsolved', 'known versions (not flagged missing) lacking a solver result')
    .option('--solver <name>', 'only this solver (default: every solver of THOTH_SOLVERS)')
    .action((o) => done({ what: 'unsolved', ...(o.solver ? { solver: o.solver as string } : {}), ...limited(o) })(o));
  sub('si-unanalyzed', 'solved versions whose security indicators are not done').action((o) => done({ what: 'si-unanalyzed', ...limited(o) })(o));
  sub('missing', 'versions flagged missing from their index').action((o) => done({ what: 'missing', ...limited(o) })(o));
  sub('workflows', 'the workflow ledger, oldest first')
    .option('--kind <kind>', 'only this kind (solver, security-indicators, adviser, ...)')
    .option('--status <status>', 'only this status (recorded, Pending, Running, Succeeded, Failed, Error)')
    .option('--since <when>', 'created since: 10m, 2h, 3d, or an ISO-8601 time', (text: string) => parseSince(text, deps.now()))
    .action((o) => done({ what: 'workflows', kind: o.kind as string | undefined, status: o.status as string | undefined, since: o.since as string | undefined, ...limited(o) })(o));
  sub('dead-letters', 'messages the investigator could not process, with the reason').action((o) => done({ what: 'dead-letters', ...limited(o) })(o));
  sub('indexes', 'registered package indexes', false).action(done({ what: 'indexes' }));
  sub('stats', 'rows per table, file size, schema version, embedded-log size', false).action(done({ what: 'stats' }));
  sub('sql', 'one read-only SQL statement on a read-only connection', false)
    .argument('<statement>', 'a single SELECT (or WITH ..., read-only PRAGMA)')
    .action((text: string, o) => done({ what: 'sql', text })(o));
  return root;
}

export function runQuery(store: Store, options: QueryOptions): QueryResult {
  const r = options.request;
  switch (r.what) {
    case 'package':
      return { what: r.what, data: store.packageReport(r.name, r.version, options.solvers) };
    case 'unresolved':
      return { what: r.what, data: store.unresolvedReport(options.solvers, r) };
    case 'unsolved':
      return { what: r.what, data: store.unsolvedReport(r.solver ? [r.solver] : options.solvers, r) };
    case 'si-unanalyzed':
      return { what: r.what, data: store.siUnanalyzedReport(r) };
    case 'missing':
      return { what: r.what, data: store.missingReport(r) };
    case 'workflows':
      return { what: r.what, data: store.workflowsReport(r) };
    case 'dead-letters':
      return { what: r.what, data: store.deadLettersReport(r) };
    case 'indexes':
      return { what: r.what, data: store.indexesReport() };
    case 'stats':
      return { what: r.what, data: store.stats() };
    case 'sql':
      return { what: r.what, data: store.sql(r.text) };
  }
}

/** The query list for `thoth help query`, which shows the outer command's help. */
function queryListHelp(): string {
  const inner = queryParser({ io: { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin }, now: Date.now }, () => {}).commands[0]!;
  const rows = inner.commands.filter((c) => c.name() !== 'help').map((c) => [`${c.name()} ${c.registeredArguments.map((a) => (a.required ? `<${a.name()}>` : `[${a.name()}]`)).join(' ')}`.trim(), c.description()]);
  const width = Math.max(...rows.map(([u]) => u!.length));
  return `\nQueries:\n${rows.map(([u, d]) => `  ${u!.padEnd(width)}  ${d}`).join('\n')}\n\nRun 'thoth query <query> --help' for its options and examples.`;
}

export const queryCommand: CommandModule = {
  configure(command) {
    // The query subcommands are parsed in run(), with their own help and errors.
    command
      .usage('<query> [options]')
      .argument('[query...]', 'the query and its operands (see Queries below)')
      .helpOption(false)
      .allowUnknownOption()
      .addHelpText('after', queryListHelp);
  },
  async run(invocation, deps) {
    const words = (invocation.operands[0] as string[] | undefined) ?? [];
    let parsed: { request: QueryRequest; output: string | undefined } | undefined;
    const parser = queryParser(deps, (request, output) => (parsed = { request, output }));
    try {
      await parser.parseAsync(['query', ...words], { from: 'user' });
    } catch (error) {
      if (error instanceof CommanderError) return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' ? 0 : 2;
      throw error;
    }
    if (!parsed) return 2;
    // A global -o, should the program define one, reaches us through the parent command.
    const output = parsed.output ?? (invocation.command.parent?.opts().output as string | undefined);
    if (output !== undefined && !['table', 'json', 'yaml'].includes(output)) {
      throw new UsageError(`-o must be table, json or yaml for query, got "${output}"`);
    }
    const options: QueryOptions = {
      request: parsed.request,
      format: (output ?? (deps.io.stdout.isTTY ? 'table' : 'json')) as QueryOptions['format'],
      solvers: (deps.env.THOTH_SOLVERS ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    };
    if (options.solvers.length === 0) options.solvers = DEFAULT_SOLVERS;
    const store = await deps.store({ readonly: true });
    const result = withDefaultSignals(() => withStoreErrors(store.path, () => runQuery(store, options)));
    const text = await presentQuery(result, options.format, { color: deps.globals.color && Boolean(deps.io.stdout.isTTY), width: deps.io.stdout.columns });
    if (text.empty) deps.log.notice(text.empty);
    await write(deps.io.stdout, text.output);
    return 0;
  },
};
