/**
 * How `thoth doctor` prints: one line per check, ✔ or ✘ (with the fix on the
 * next line) or – for a check that does not apply; `-o json` is
 * `{ok, checks: [{name, status, detail, fix?}]}`.
 */
import { Chalk } from 'chalk';
import type { Check } from '../services/doctor.js';
import { renderOutput } from '../ui/table.js';

export type DoctorFormat = 'table' | 'json' | 'yaml';

const MARK = { ok: '✔', fail: '✘', skip: '–' } as const;

export async function presentDoctor(checks: Check[], format: DoctorFormat, options: { color?: boolean } = {}): Promise<string> {
  if (format !== 'table') return renderOutput({ ok: checks.every((c) => c.status !== 'fail'), checks }, format);
  const chalk = new Chalk({ level: options.color ? 1 : 0 });
  const width = Math.max(...checks.map((c) => c.name.length));
  const paint = { ok: chalk.green, fail: chalk.red, skip: chalk.dim } as const;
  return checks
    .map((c) => {
      const line = `${paint[c.status](MARK[c.status])} ${c.name.padEnd(width)}  ${c.status === 'skip' ? chalk.dim(c.detail) : c.detail}`;
      return c.fix ? `${line}\n  ${' '.repeat(width)}  ${chalk.bold('fix:')} ${c.fix}` : line;
    })
    .join('\n')
    .concat('\n');
}
