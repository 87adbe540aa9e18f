/**
 * The `table` form of one message for a terminal: a header line (time,
 * topic, partition@offset, key, type and version) and then its fields, one per
 * line. Invalid messages are flagged in red with every reason; secrets are
 * masked unless the user asked for them. Every text from the message (topic,
 * key, headers, field names and values) has its control characters shown as
 * escapes (`\x1b`), so that no message can drive the terminal.
 */
import { displayText } from '../core/quote.js';
import { terminalSafeLine as safe } from '../core/terminal.js';
import { Chalk, type ChalkInstance } from 'chalk';
import type { DecodedMessage } from '../messages/records.js';
import { maskHeaders, scrubSecrets, withoutCredentials } from '../messages/secrets.js';

export interface PresentOptions {
  color: boolean;
  showSecrets: boolean;
  /** The deployment prefix, stripped from topics for a shorter header. */
  deploymentName?: string;
  /** `-o wide`: the full topic, and the base fields among the others. */
  wide?: boolean;
}

const BASE_FIELDS = new Set(['component_name', 'service_version', 'version']);

export function painter(color: boolean): ChalkInstance {
  return new Chalk({ level: color ? 1 : 0 });
}

function formatTime(ms: number): string {
  const date = new Date(ms);
  return Number.isFinite(date.getTime()) ? date.toISOString().replace('T', ' ') : String(ms);
}

function formatScalar(value: unknown): string {
  if (typeof value === 'string') return value === '' ? '""' : /[\s"]/.test(value) ? JSON.stringify(value) : safe(value);
  return safe(JSON.stringify(value) ?? 'undefined');
}

function shortTopic(topic: string, deploymentName?: string): string {
  return deploymentName !== undefined && topic.startsWith(`${deploymentName}.`) ? topic.slice(deploymentName.length + 1) : topic;
}

/** The message's fields in the order they arrived, masked unless asked otherwise. */
function fieldLines(value: unknown, options: PresentOptions, paint: ChalkInstance): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return [`  ${paint.dim('body:')} ${value === null ? paint.dim('(empty)') : formatScalar(value)}`];
  }
  const shown = options.showSecrets ? value : scrubSecrets(value);
  // The base fields are in the header line already.
  const entries = Object.entries(shown as Record<string, unknown>).filter(([name]) => options.wide || !BASE_FIELDS.has(name));
  const width = Math.min(28, Math.max(0, ...entries.map(([name]) => name.length)));
  return entries.map(([name, item]) => `  ${paint.dim(safe(name).padEnd(width))}  ${formatScalar(item)}`);
}

export function presentMessage(message: DecodedMessage, options: PresentOptions): string {
  const paint = painter(options.color);
  const { envelope, type, validation } = message;
  const body = envelope.value as Record<string, unknown> | null;
  const version = typeof body === 'object' && body !== null && typeof body.version === 'string' ? body.version : type?.version;
  const where = envelope.partition !== undefined ? `${envelope.partition}@${envelope.offset ?? '?'}` : '';
  const label = type ? `${type.name} ${version ?? ''}`.trim() : 'untyped';
  const origin =
    typeof body === 'object' && body !== null && typeof body.component_name === 'string'
      ? `from ${body.component_name} ${displayText(body.service_version)}`.trim()
      : '';
  const header = [
    paint.dim(formatTime(envelope.timestamp)),
    paint.cyan(safe(options.wide ? envelope.topic : shortTopic(envelope.topic, options.deploymentName))),
    where,
    envelope.key !== null ? `key=${safe(options.showSecrets ? envelope.key : withoutCredentials(envelope.key))}` : '',
    validation && !validation.ok ? paint.red.bold(`INVALID ${label}`) : paint.bold(label),
    paint.dim(safe(origin)),
  ]
    .filter(Boolean)
    .join('  ');
  const lines = [header];
  if (validation && !validation.ok) {
    for (const error of validation.errors) lines.push(paint.red(`  ✗ ${safe(error.field)}: ${safe(error.message)}`));
  }
  const headerNames = Object.keys(envelope.headers);
  if (headerNames.length > 0) {
    const headers = options.showSecrets ? envelope.headers : maskHeaders(envelope.headers);
    const shown = Object.entries(headers).map(([name, value]) => `${safe(name)}=${safe(value)}`);
    lines.push(`  ${paint.dim('headers')}  ${shown.join(' ')}`);
  }
  lines.push(...fieldLines(envelope.value, options, paint));
  return `${lines.join('\n')}\n`;
}
