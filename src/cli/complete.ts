/**
 * `thoth __complete WORD...`: the candidates for the last word of a command
 * line, one per line, for the shell scripts of `thoth completion` (cobra's
 * scheme: the program that parses the line is the one that completes it, so
 * completion never drifts from the declarations). The words are those after
 * `thoth`; the last is the one being typed (maybe empty).
 */
import type { CommandUnknownOpts, Option } from '@commander-js/extra-typings';
import type { ParseContext } from '../commands/command.js';
import { OUTPUT_FORMATS } from '../commands/output.js';
import { readContextFile } from '../config/contexts.js';
import { readSettings, type Settings } from '../config/settings.js';
import { findMessageType, MESSAGE_TYPES } from '../messages/catalogue.js';
import { DEAD_LETTER_BASE_TOPIC, topicName } from '../messages/topics.js';
import { WORKFLOW_KINDS } from '../workflows/types.js';
import { COMMANDS } from './command-table.js';
import { HELP_TOPICS } from './help-topics.js';
import { rootProgram } from './program.js';

/** Positional operands by command (path): what the first operand may be. */
const OPERANDS: Record<string, (settings: () => Settings | undefined) => string[]> = {
  publish: () => MESSAGE_TYPES.map((t) => t.name),
  schema: () => [...MESSAGE_TYPES.map((t) => t.name), ...MESSAGE_TYPES.map((t) => t.baseTopic)],
  tail: (settings) => [...MESSAGE_TYPES.map((t) => t.name), 'dead-letter', ...catalogueTopics(settings()?.deploymentName)],
  submit: () => [...WORKFLOW_KINDS],
  topics: () => ['create'],
  completion: () => ['bash', 'zsh', 'fish'],
  'config use-context': (settings) => Object.keys(settings()?.configFile.contexts ?? {}),
};

function catalogueTopics(deployment: string | undefined): string[] {
  return [...MESSAGE_TYPES.map((t) => topicName(t.baseTopic, deployment)), topicName(DEAD_LETTER_BASE_TOPIC, deployment)];
}

const takesValue = (option: Option) => option.required || option.optional;

function optionNamed(options: readonly Option[], word: string): Option | undefined {
  return options.find((o) => o.long === word || o.short === word);
}

function flagsOf(options: readonly Option[]): string[] {
  return options.filter((o) => !o.hidden).flatMap((o) => (o.long ? [o.long] : o.short ? [o.short] : []));
}

/** The candidates for an option's value. */
function optionValues(
  option: Option,
  context: { path: string; operands: string[]; settings: () => Settings | undefined; env: NodeJS.ProcessEnv },
): string[] {
  if (option.argChoices) return [...option.argChoices];
  switch (option.long) {
    case '--thoth-context':
      return Object.keys(readContextFile(context.env).contexts);
    case '--broker':
      return ['embedded'];
    case '--output':
      // The global -o, before a command is named: the whole vocabulary.
      return [...OUTPUT_FORMATS];
    case '--solver':
    case '--solvers':
      return [...(context.settings()?.solvers ?? [])];
    case '--field':
    case '--filter': {
      // The fields of the chosen message type(s): name= to go on typing the value.
      const types = context.operands.map((o) => findMessageType(o)).filter((t) => t !== undefined);
      return [...new Set(types.flatMap((t) => t.fields.map((f) => `${f.name}=`)))];
    }
    default:
      return [];
  }
}

export async function complete(words: string[], env: NodeJS.ProcessEnv): Promise<string[]> {
  const current = words.at(-1) ?? '';
  const before = words.slice(0, -1);
  // The global flags already typed (--deployment-name, --thoth-context, --db) shape what is offered.
  const given: Record<string, string> = {};
  let cached: { settings?: Settings } | undefined;
  const settings = () => {
    cached ??= (() => {
      try {
        return {
          settings: readSettings(env, {
            deploymentName: given['--deployment-name'],
            thothContext: given['--thoth-context'],
            db: given['--db'],
          }),
        };
      } catch {
        return {};
      }
    })();
    return cached.settings;
  };
  const parse: ParseContext = {
    get settings() {
      return readSettings(env);
    },
    isTTY: false,
    now: Date.now(),
  };
  const root = rootProgram({ out: () => undefined, err: () => undefined });
  let options: Option[] = [...root.options];
  let command: CommandUnknownOpts | undefined;
  const path: string[] = [];
  const operands: string[] = [];
  let pending: Option | undefined;
  for (const word of before) {
    if (pending) {
      if (pending.long) given[pending.long] = word;
      pending = undefined;
      continue;
    }
    if (word.startsWith('-')) {
      const option = optionNamed(options, word.split('=')[0]);
      if (option && takesValue(option) && !word.includes('=')) pending = option;
      continue;
    }
    if (path.length === 0) {
      if (word === 'help') {
        path.push('help');
        continue;
      }
      const entry = COMMANDS.find((c) => c.name === word);
      if (!entry) return [];
      try {
        command = (await entry.load()).declare(parse, () => undefined);
      } catch {
        return [];
      }
      path.push(word);
      options = [...command.options, ...root.options];
      continue;
    }
    const sub = command?.commands.find((c) => c.name() === word);
    if (sub && operands.length === 0) {
      command = sub;
      path.push(word);
      options = [...sub.options, ...root.options];
      continue;
    }
    operands.push(word);
  }

  const candidates = (() => {
    if (pending) return optionValues(pending, { path: path.join(' '), operands, settings, env });
    if (current.startsWith('-')) return flagsOf(options);
    if (path.length === 0) return [...COMMANDS.map((c) => c.name), 'help'];
    if (path[0] === 'help')
      return path.length === 1 && operands.length === 0 ? [...COMMANDS.map((c) => c.name), ...Object.keys(HELP_TOPICS)] : [];
    if (command && command.commands.length > 0 && path.length === 1) return command.commands.map((c) => c.name());
    const operandsOf = OPERANDS[path.join(' ')];
    // tail takes several types; the others one.
    if (operandsOf && (operands.length === 0 || path[0] === 'tail')) return operandsOf(settings);
    return [];
  })();
  return candidates.filter((c) => c.startsWith(current));
}
