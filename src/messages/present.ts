/**
 * The `pretty` form of one message for a terminal: a header line (time,
 * topic, partition@offset, key, type and version) and then its fields, one per
 * line. Invalid messages are flagged in red with every reason; secrets are
 * masked unless the user asked for them.
 */
import { Chalk, type ChalkInstance } from 'chalk';
import type { DecodedMessage } from './records.js';
import { maskSecrets } from './secrets.js';

export interface PresentOptions {
  color: boolean;
  showSecrets: boolean;
  /** The deployment prefix, stripped from topics for a shorter header. */
  deploymentName?: string;
}

const SECRET_HEADER = /password|secret|token/i;
const BASE_FIELDS = new Set(['component_name', 'service_version', 'version']);

export function painter(color: boolean): ChalkInstance {
  return new Chalk({ level: color ? 1 : 0 });
}

function formatTime(ms: number): string {
  const date = new Date(ms);
  return Number.isFinite(date.getTime()) ? date.toISOString().replace('T', ' ') : String(ms);
}

function formatScalar(value: unknown): string {
  if (typeof value === 'string') return value === '' ? '""' : /[\s"]/.test(value) ? JSON.stringify(value) : value;
  return JSON.stringify(value) ?? 'undefined';
}

function shortTopic(topic: string, deploymentName?: string): string {
  return deploymentName && topic.startsWith(`${deploymentName}.`) ? topic.slice(deploymentName.length + 1) : topic;
}

/** The message's fields in the order they arrived, masked unless asked otherwise. */
function fieldLines(value: unknown, options: PresentOptions, paint: ChalkInstance): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return [`  ${paint.dim('body:')} ${value === null ? paint.dim('(empty)') : formatScalar(value)}`];
  }
  const shown = options.showSecrets ? value : maskSecrets(value);
  // The base fields are in the header line already.
  const entries = Object.entries(shown as Record<string, unknown>).filter(([name]) => !BASE_FIELDS.has(name));
  const width = Math.min(28, Math.max(0, ...entries.map(([name]) => name.length)));
  return entries.map(([name, item]) => `  ${paint.dim(name.padEnd(width))}  ${formatScalar(item)}`);
}

export function presentMessage(message: DecodedMessage, options: PresentOptions): string {
  const paint = painter(options.color);
  const { envelope, type, validation } = message;
  const body = envelope.value as Record<string, unknown> | null;
  const version = typeof body === 'object' && body !== null && typeof body.version === 'string' ? body.version : type?.version;
  const where = envelope.partition !== undefined ? `${envelope.partition}@${envelope.offset ?? '?'}` : '';
  const label = type ? `${type.name} ${version ?? ''}`.trim() : 'untyped';
  const origin = typeof body === 'object' && body !== null && typeof body.component_name === 'string' ? `from ${body.component_name} ${String(body.service_version ?? '')}`.trim() : '';
  const header = [
    paint.dim(formatTime(envelope.timestamp)),
    paint.cyan(shortTopic(envelope.topic, options.deploymentName)),
    where,
    envelope.key !== null ? `key=${envelope.key}` : '',
    validation && !validation.ok ? paint.red.bold(`INVALID ${label}`) : paint.bold(label),
    paint.dim(origin),
  ]
    .filter(Boolean)
    .join('  ');
  const lines = [header];
  if (validation && !validation.ok) {
    for (const error of validation.errors) lines.push(paint.red(`  ✗ ${error.field}: ${error.message}`));
  }
  const headerNames = Object.keys(envelope.headers);
  if (headerNames.length > 0) {
    const shown = headerNames.map((name) => `${name}=${!options.showSecrets && SECRET_HEADER.test(name) ? '***' : envelope.headers[name]}`);
    lines.push(`  ${paint.dim('headers')}  ${shown.join(' ')}`);
  }
  lines.push(...fieldLines(envelope.value, options, paint));
  return `${lines.join('\n')}\n`;
}

/** Headers with the values of secret-looking names (password, secret, token) replaced by ***. */
export function maskHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) out[name] = SECRET_HEADER.test(name) ? '***' : value;
  return out;
}

/** True when a secret field (name containing "password") holds a value anywhere in the message. */
export function carriesSecrets(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(carriesSecrets);
  if (typeof value !== 'object' || value === null) return false;
  return Object.entries(value).some(([name, item]) => (/password/i.test(name) && item !== null && item !== undefined) || carriesSecrets(item));
}

/** The same envelope with secret fields and headers masked, for machine output without --show-secrets. */
export function maskEnvelopeSecrets<T extends { headers: Record<string, string>; value: unknown }>(envelope: T): { masked: T; changed: boolean } {
  const secretValue = carriesSecrets(envelope.value);
  const secretHeaders = Object.keys(envelope.headers).filter((name) => SECRET_HEADER.test(name));
  if (!secretValue && secretHeaders.length === 0) return { masked: envelope, changed: false };
  const headers = { ...envelope.headers };
  for (const name of secretHeaders) headers[name] = '***';
  return { masked: { ...envelope, headers, value: secretValue ? maskSecrets(envelope.value) : envelope.value }, changed: true };
}
