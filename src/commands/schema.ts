/**
 * `thoth schema <type>`: the JSON Schema of a message body.
 * `thoth schema --list` (or no type): every type with its base topic and version.
 */
import { Command } from '@commander-js/extra-typings';
import { write } from '../core/io.js';
import { MESSAGE_TYPES, messageType } from '../messages/catalogue.js';
import { jsonSchema } from '../messages/schema.js';
import { presentSchema, presentTypeList } from '../present/schema.js';
import type { CommandDefinition } from './command.js';

export interface SchemaOptions {
  /** undefined: list every type. */
  typeName?: string;
}

export const schemaCommand: CommandDefinition<SchemaOptions> = {
  declare: (_parse, done) =>
    new Command('schema')
      .argument('[type]', 'message type (CLI name such as unresolved-package, or its base topic)')
      .option('--list', 'list every message type with its base topic and version')
      .addHelpText(
        'after',
        `
Prints a draft-07 JSON Schema of the message body: required fields, strict
types (no coercion), Optional fields as [type, "null"], defaults. Extra
properties are allowed, as upstream ignores them on read.

Examples:
  $ thoth schema unresolved-package
  $ thoth schema thoth.solver.solved-package > solved-package.schema.json
  $ thoth schema --list`,
      )
      .action((typeName, flags) => done({ typeName: flags.list ? undefined : typeName })),

  async run(options, { io }) {
    const text =
      options.typeName === undefined
        ? presentTypeList(MESSAGE_TYPES, Boolean(io.stdout.isTTY))
        : presentSchema(jsonSchema(messageType(options.typeName)));
    await write(io.stdout, text);
  },
};
