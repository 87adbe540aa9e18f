/**
 * `thoth query <what>`: answers from the local knowledge cache (SPEC §6).
 * Each query is a commander subcommand of `query` with its own typed flags
 * and help; run reads the store through a read-only connection
 * (src/services/query.ts) and src/present/query.ts prints the answer.
 */
import { Command, InvalidArgumentError } from '@commander-js/extra-typings';
import { parseSince } from '../core/duration.js';
import { write } from '../core/io.js';
import { presentQuery } from '../present/query.js';
import { runQuery, type QueryRequest } from '../services/query.js';
import { withStoreErrors } from '../store/errors.js';
import type { WorkflowStatus } from '../store/types.js';
import { WORKFLOW_KINDS } from '../workflows/types.js';
import type { CommandDefinition, ParseContext } from './command.js';
import { choiceOption } from './options.js';
import { chosenOutput, outputOption, type OutputFormat } from './output.js';

/** A single report (package, stats): no lines or names to list. */
const REPORT_FORMATS = ['table', 'wide', 'json', 'yaml'] as const;
/** Rows: one JSON line each with ndjson. */
const ROW_FORMATS = ['table', 'wide', 'json', 'yaml', 'ndjson'] as const;
/** Rows with a name (a workflow, an index, a package version): -o name too. */
const NAMED_FORMATS = ['table', 'wide', 'json', 'yaml', 'ndjson', 'name'] as const;
type QueryFormat = (typeof NAMED_FORMATS)[number];
const DEFAULT_OUTPUT = { tty: 'table', piped: 'json' } as const;

const STATUSES: readonly WorkflowStatus[] = ['recorded', 'Pending', 'Running', 'Succeeded', 'Failed', 'Error'];

export interface QueryOptions {
  request: QueryRequest;
  format: QueryFormat;
  /** The solver environments that count (THOTH_SOLVERS). */
  solvers: readonly string[];
}

const EXAMPLES: Record<string, string[]> = {
  package: ['thoth query package requests', 'thoth query package requests 2.25.1 -o json'],
  unresolved: ['thoth query unresolved', 'thoth query unresolved --all -o json'],
  unsolved: ['thoth query unsolved --solver solver-fedora-35-py310 --limit 50'],
  'si-unanalyzed': ['thoth query si-unanalyzed'],
  missing: ['thoth query missing -o yaml'],
  workflows: ['thoth query workflows --kind solver --status failed', 'thoth query workflows --since 2h -o json'],
  'dead-letters': ['thoth query dead-letters -o json | jq .[].reason'],
  indexes: ['thoth query indexes'],
  stats: ['thoth query stats'],
  sql: [`thoth query sql "SELECT package_name, count(*) FROM package_versions GROUP BY 1 ORDER BY 2 DESC LIMIT 10"`],
};

const examples = (lines: string[]) => `\nExamples:\n${lines.map((e) => `  $ ${e}`).join('\n')}`;

const QUERY_HELP = `
Output: -o table (default on a terminal; on a narrow one the least useful columns are left
out), wide (every column), json (default when piped), yaml, ndjson (one row per line) or
name (package==version, a workflow's name, an index's URL) where the rows have names.
Filters (--kind, --status, --solver) take their values in any case; a value that names
none is refused (exit 2) with the valid ones and the nearest, never an empty answer.
The cache is opened read-only: a query never changes what it holds (a cache written by an
older thoth has its schema upgraded once, as every command does). Ctrl-C stops a long query.
${examples(Object.values(EXAMPLES).flat())}`;

function parseLimit(text: string): number {
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text)))
    throw new InvalidArgumentError(`expected a whole number up to ${Number.MAX_SAFE_INTEGER}`);
  return Number(text);
}

/** `--since`: a duration before now or an ISO-8601 time, as ISO-8601 (the ledger's form). */
function sinceParser(now: number): (text: string) => string {
  return (text) => {
    const at = parseSince(text, now);
    if (at === undefined)
      throw new InvalidArgumentError('expected a duration such as 10m, 2h, 3d, or an ISO-8601 time such as 2024-05-01T12:00:00Z');
    return new Date(at).toISOString();
  };
}

/** One query: its name, description, -o and examples; `list` queries also take --limit. */
function query<const F extends OutputFormat>(name: string, description: string, formats: readonly F[]) {
  return new Command(name)
    .description(description)
    .addOption(outputOption<F | 'table' | 'json'>(formats, DEFAULT_OUTPUT))
    .addHelpText('after', examples(EXAMPLES[name]));
}

function listQuery<const F extends OutputFormat>(name: string, description: string, formats: readonly F[]) {
  return query(name, description, formats).option('--limit <n>', 'at most N rows', parseLimit);
}

export const queryCommand: CommandDefinition<QueryOptions> = {
  declare(parse: ParseContext, done) {
    const answer = (request: QueryRequest, output: QueryFormat | undefined) =>
      done({ request, format: chosenOutput(output, DEFAULT_OUTPUT, parse.isTTY), solvers: parse.settings.solvers });
    const limited = (o: { limit?: number }) => (o.limit === undefined ? {} : { limit: o.limit });
    return new Command('query')
      .description('Ask the local knowledge cache what is known')
      .usage('<query> [options]')
      .commandsGroup('Queries:')
      .addHelpText('after', QUERY_HELP)
      .addCommand(
        query('package', 'versions, solver results, flags, hashes, workflows and pending requests of one package', REPORT_FORMATS)
          .argument('<name>', 'package name (any case; normalised per PEP 503)')
          .argument('[version]', 'one version only')
          .action((name, version, o) => answer({ what: 'package', name, ...(version ? { version } : {}) }, o.output)),
      )
      .addCommand(
        listQuery('unresolved', 'requests still waiting for a solver result, newest first', NAMED_FORMATS)
          .option('--all', 'include requests that are resolved by now')
          .action((o) => answer({ what: 'unresolved', all: Boolean(o.all), ...limited(o) }, o.output)),
      )
      .addCommand(
        listQuery('unsolved', 'known versions (not flagged missing) lacking a solver result', NAMED_FORMATS)
          .option(
            '--solver <name>',
            'only this solver: one of THOTH_SOLVERS or known to the cache, any case (default: every one of THOTH_SOLVERS)',
          )
          .action((o) => answer({ what: 'unsolved', ...(o.solver ? { solver: o.solver } : {}), ...limited(o) }, o.output)),
      )
      .addCommand(
        listQuery('si-unanalyzed', 'solved versions whose security indicators are not done', NAMED_FORMATS).action((o) =>
          answer({ what: 'si-unanalyzed', ...limited(o) }, o.output),
        ),
      )
      .addCommand(
        listQuery('missing', 'versions flagged missing from their index', NAMED_FORMATS).action((o) =>
          answer({ what: 'missing', ...limited(o) }, o.output),
        ),
      )
      .addCommand(
        listQuery('workflows', 'the workflow ledger, oldest first', NAMED_FORMATS)
          .addOption(choiceOption('--kind <kind>', 'only this kind (solver, security-indicators, adviser, ...; any case)', WORKFLOW_KINDS))
          .addOption(
            choiceOption(
              '--status <status>',
              'only this status (recorded, Pending, Running, Succeeded, Failed, Error; any case)',
              STATUSES,
            ),
          )
          .option('--since <when>', 'created since: 10m, 2h, 3d, or an ISO-8601 time', sinceParser(parse.now))
          .action((o) => answer({ what: 'workflows', kind: o.kind, status: o.status, since: o.since, ...limited(o) }, o.output)),
      )
      .addCommand(
        listQuery('dead-letters', 'messages the investigator could not process, with the reason', ROW_FORMATS).action((o) =>
          answer({ what: 'dead-letters', ...limited(o) }, o.output),
        ),
      )
      .addCommand(query('indexes', 'registered package indexes', NAMED_FORMATS).action((o) => answer({ what: 'indexes' }, o.output)))
      .addCommand(
        query('stats', 'rows per table, file size, schema version, embedded-log size', REPORT_FORMATS).action((o) =>
          answer({ what: 'stats' }, o.output),
        ),
      )
      .addCommand(
        query('sql', 'one read-only SQL statement on a read-only connection', ROW_FORMATS)
          .argument('<statement>', 'a single SELECT (or WITH ..., read-only PRAGMA)')
          .action((text, o) => answer({ what: 'sql', text }, o.output)),
      );
  },

  async run(options, context) {
    const store = await context.store({ readonly: true });
    // A user's SQL may run for long: Ctrl-C must still end it.
    const result = context.blocking(() => withStoreErrors(store.path, () => runQuery(store, options.request, options.solvers)));
    const text = await presentQuery(result, options.format, {
      color: context.settings.color && Boolean(context.io.stdout.isTTY),
      width: context.io.stdout.columns,
    });
    if (text.empty) context.log.notice(text.empty);
    await write(context.io.stdout, text.output);
  },
};
