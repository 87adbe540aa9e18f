/**
 * `thoth schema <type>`: the JSON Schema of a message body.
 * `thoth schema --list` (or no type): every type with its base topic and version.
 */
import type { Command } from 'commander';
import { write } from '../cli/io.js';
import { MESSAGE_TYPES, messageType, type MessageType } from '../messages/catalogue.js';
import { jsonSchema } from '../messages/schema.js';
import type { CommandModule, Invocation } from './types.js';

interface SchemaOptions {
  /** undefined: list every type. */
  typeName?: string;
}

function parseOptions(invocation: Invocation): SchemaOptions {
  const [typeName] = invocation.operands as [string | undefined];
  return { typeName: invocation.options.list ? undefined : typeName };
}

/** A listing row, or the schema document. */
type SchemaResult = { kind: 'list'; types: readonly MessageType[] } | { kind: 'schema'; schema: object };

function runSchema(options: SchemaOptions): SchemaResult {
  if (options.typeName === undefined) return { kind: 'list', types: MESSAGE_TYPES };
  return { kind: 'schema', schema: jsonSchema(messageType(options.typeName)) };
}

/** Aligned columns for a terminal; tab-separated lines for scripts. */
export function presentTypeList(types: readonly MessageType[], tty: boolean): string {
  const rows = types.map((t) => [t.name, t.baseTopic, t.version]);
  if (!tty) return rows.map((r) => `${r.join('\t')}\n`).join('');
  const table = [['TYPE', 'BASE TOPIC', 'VERSION'], ...rows];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
  return table.map((r) => `${r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')}\n`).join('');
}

export const schemaCommand: CommandModule = {
  configure(command: Command) {
    command
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
      );
  },
  async run(invocation, deps) {
    const result = runSchema(parseOptions(invocation));
    const text = result.kind === 'list' ? presentTypeList(result.types, Boolean(deps.io.stdout.isTTY)) : `${JSON.stringify(result.schema, null, 2)}\n`;
    await write(deps.io.stdout, text);
    return 0;
  },
};
