/**
 * `thoth schema <type>`: the JSON Schema of a message body.
 * `thoth schema --list` (or no type): every type with its base topic and version.
 */
import { Command } from '@commander-js/extra-typings';
import { UsageError } from '../core/errors.js';
import { write } from '../core/io.js';
import { MESSAGE_TYPES, messageType } from '../messages/catalogue.js';
import { jsonSchema } from '../messages/schema.js';
import { presentSchema, presentTypeList, type SchemaFormat, type TypeListFormat } from '../present/schema.js';
import type { CommandDefinition } from './command.js';
import { outputOption } from './output.js';

const FORMATS = ['table', 'wide', 'json', 'yaml', 'name'] as const;

export type SchemaOptions =
  /** A type's schema. */
  | { typeName: string; output: SchemaFormat }
  /** Every type. */
  | { typeName?: undefined; output: TypeListFormat };

export const schemaCommand: CommandDefinition<SchemaOptions> = {
  declare: (_parse, done) =>
    new Command('schema')
      .argument('[type]', 'message type (CLI name such as unresolved-package, or its base topic)')
      .option('--list', 'list every message type with its base topic and version')
      .addOption(outputOption(FORMATS, { always: 'table' }))
      .addHelpText(
        'after',
        `
Prints a draft-07 JSON Schema of the message body: required fields, strict
types (no coercion), Optional fields as [type, "null"], defaults. Extra
properties are allowed, as upstream ignores them on read.

Output: a schema as -o json (default) or yaml; the list as a table (aligned on a
terminal, tab-separated when piped; wide is the same), json, yaml, or name (the
type names only).

Examples:
  $ thoth schema unresolved-package
  $ thoth schema thoth.solver.solved-package > solved-package.schema.json
  $ thoth schema --list
  $ thoth schema --list -o json`,
      )
      .action((typeName, flags) => {
        if (flags.list || typeName === undefined) return done({ output: flags.output ?? 'table' });
        const output = flags.output ?? 'json';
        if (output !== 'json' && output !== 'yaml')
          throw new UsageError(`-o ${output} applies to the list of types (--list); a schema prints as json or yaml`);
        return done({ typeName, output });
      }),

  async run(options, { io }) {
    const text =
      options.typeName === undefined
        ? await presentTypeList(MESSAGE_TYPES, options.output, Boolean(io.stdout.isTTY))
        : await presentSchema(jsonSchema(messageType(options.typeName)), options.output);
    await write(io.stdout, text);
  },
};
