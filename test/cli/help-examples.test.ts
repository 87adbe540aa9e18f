/**
 * Every example of every --help, run as written on a fresh machine: no
 * Kafka, no cluster, no configuration, an empty home. Examples that need
 * what such a machine does not have (a broker to follow, a cluster, the
 * user's own files) are named with the reason; the others must succeed.
 */
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanEnv, runThoth } from '../support/cli.js';

const HELP_PAGES = [
  [],
  ['publish'],
  ['tail'],
  ['replay'],
  ['investigate'],
  ['submit'],
  ['topics'],
  ['schema'],
  ['config'],
  ['completion'],
  ['groups'],
  ...['package', 'unresolved', 'unsolved', 'si-unanalyzed', 'missing', 'workflows', 'dead-letters', 'indexes', 'stats', 'sql'].map((q) => [
    'query',
    q,
  ]),
];

const STREAMS = readdirSync('fixtures/streams')
  .filter((f) => f.endsWith('.ndjson'))
  .map((f) => `fixtures/streams/${f}`);

/** Shell words of one example line: spaces split, single and double quotes group. */
function words(line: string): string[] {
  return [...line.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]);
}

/** Why an example cannot run on a fresh machine, or undefined when it must. */
function needs(args: string[], line: string): string | undefined {
  if (/[|>]/.test(line.replace(/'[^']*'|"[^"]*"/g, ''))) return 'a shell pipe or redirection';
  const missing = args.find((a) => /\.(ndjson|jsonl|yaml)(:\d+)?$/.test(a) && !a.includes('*') && !existsSync(a.replace(/:\d+$/, '')));
  if (missing) return `the user's own file ${missing}`;
  if (args.includes('-b')) return 'a Kafka broker';
  if (args[0] === 'tail' && !args.includes('--exit-at-end')) return 'a terminal to follow until Ctrl-C';
  if (args[0] === 'investigate' && !args.includes('--from')) return 'a broker to consume until stopped';
  if (args[0] === 'submit' && !args.includes('client')) return 'a Kubernetes cluster';
  if (args[1] === 'reset-offsets') return 'a consumer group that has committed offsets';
  if (args.includes('--thoth-context') || ['use-context', 'current-context'].includes(args[1])) return 'a configuration file';
  return undefined;
}

describe('the examples of every --help', () => {
  it('run as written on a fresh machine', async () => {
    const env = cleanEnv({ HOME: mkdtempSync(join(tmpdir(), 'thoth-fresh-')) });
    const examples: string[] = [];
    for (const page of HELP_PAGES) {
      const help = await runThoth([...page, '--help'], { env });
      expect(help.code, page.join(' ')).toBe(0);
      // A line ending in \ goes on on the next.
      const text = help.stdout.replace(/ \\\n\s+/g, ' ');
      for (const m of text.matchAll(/^ {2}\$ thoth (.+)$/gm)) if (!examples.includes(m[1])) examples.push(m[1]);
    }
    const ran: string[] = [];
    for (const line of examples) {
      const args = words(line);
      if (needs(args, line)) continue;
      // The shell would expand fixtures/streams/*.ndjson.
      const expanded = args.flatMap((a) => (a === 'fixtures/streams/*.ndjson' ? STREAMS : [a]));
      // An expectation describes a run on a fresh cache, as a CI job has: the others share one machine's HOME.
      const fresh = args.includes('--expect') ? cleanEnv({ HOME: mkdtempSync(join(tmpdir(), 'thoth-ci-')) }) : env;
      const result = await runThoth(expanded, { env: fresh });
      expect(result.code, `${line}\n${result.stderr}`).toBe(0);
      if (args[0] === 'investigate') expect(result.stderr, line).toContain(' 0 dead-lettered');
      ran.push(line);
    }
    // The first steps of the root help are among them.
    expect(ran).toEqual(
      expect.arrayContaining([
        'replay fixtures/streams/continuous-learning.ndjson',
        'investigate --from fixtures/streams/continuous-learning.ndjson --index-url https://index.example/simple',
        'submit solver requests==2.25.1 --namespace thoth --dry-run client --index-url https://index.example/simple',
        'query package requests',
      ]),
    );
    expect(ran.length).toBeGreaterThan(25);
  });
});
