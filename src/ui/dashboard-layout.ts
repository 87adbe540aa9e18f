/**
 * The dashboard as lines of text for a terminal of a given size: every line
 * fits the width (items are packed, never split mid-word by the terminal)
 * and the whole frame stays shorter than the screen, because ink clears the
 * terminal on every frame once a frame fills it (a flickering dashboard).
 * Plain data, so that what a person sees is testable without a terminal.
 */
import { terminalSafeLine } from '../core/terminal.js';
import { describeEvent, formatUptime, messagesPerSecond, RECENT_EVENTS, type DashboardState } from './dashboard-model.js';

export type Tone = 'title' | 'heading' | 'bad' | 'warn' | 'dim';

export interface DashboardLine {
  text: string;
  tone?: Tone;
  /** Only the first `toneChars` characters take the tone (a label); the whole line when absent. */
  toneChars?: number;
}

export interface LayoutOptions {
  now: number;
  /** Terminal columns and rows; 0 or undefined when the terminal does not say. */
  width?: number;
  rows?: number;
  /** Literal values to mask wherever they appear (passwords and tokens from the environment). */
  secrets?: readonly string[];
}

const LABEL = 12;
const MIN_WIDTH = 40;
const FALLBACK_WIDTH = 100;

const length = (text: string) => [...text].length;

/** Cuts to `width` characters, marking the cut with an ellipsis. */
export function truncate(text: string, width: number): string {
  const chars = [...text];
  return chars.length <= width ? text : `${chars.slice(0, Math.max(0, width - 1)).join('')}…`;
}

/**
 * Puts items on lines of at most `width` characters, `sep` between them, in
 * at most `maxLines` lines; what does not fit is counted as "+N more".
 */
export function packItems(items: readonly string[], width: number, sep: string, maxLines: number): string[] {
  const lines: string[][] = [[]];
  const lineText = (line: string[]) => line.join(sep);
  let index = 0;
  for (; index < items.length; index++) {
    const item = truncate(items[index], width);
    const current = lines.at(-1)!;
    if (current.length === 0 || length(lineText([...current, item])) <= width) {
      current.push(item);
      continue;
    }
    if (lines.length === maxLines) break;
    lines.push([item]);
  }
  if (index < items.length) {
    const last = lines.at(-1)!;
    const more = () => `+${items.length - lines.flat().length} more`;
    // Make room for the count on the last line.
    while (last.length > 0 && length(lineText([...last, more()])) > width) last.pop();
    last.push(more());
  }
  return lines.map(lineText);
}

/** Word-wraps `text` into at most `maxLines` lines of `width` characters, ending with … when cut. */
export function wrapWords(text: string, width: number, maxLines: number): string[] {
  const words = text.split(/\s+/).filter(Boolean);
  const lines: string[] = [];
  let current = '';
  let index = 0;
  for (; index < words.length; index++) {
    const next = current ? `${current} ${words[index]}` : words[index];
    if (!current || length(next) <= width) {
      current = next;
      continue;
    }
    lines.push(current);
    current = '';
    if (lines.length === maxLines) break;
    current = words[index]!;
  }
  if (current) lines.push(current);
  const out = lines.map((line) => truncate(line, width));
  if (index < words.length && out.length > 0) out[out.length - 1] = truncate(`${out.at(-1)!} …`, width);
  return out;
}

/** Hides passwords and tokens in free text: URL credentials, `password=…`-style pairs and known secret values. */
export function maskText(text: string, secrets: readonly string[] = []): string {
  let out = text
    .replace(/(\/\/[^/\s:@]+:)[^@\s/]+@/g, '$1***@')
    .replace(/((?:password|passwd|secret|token)[\w-]*["']?\s*[:=]\s*["']?)[^\s"',;}&]+/gi, '$1***');
  for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join('***');
  return out;
}

const formatRate = (rate: number) => (rate >= 100 ? rate.toFixed(0) : rate.toFixed(1));

/** The short name of a topic: its base name without the `thoth.` and deployment prefixes' noise. */
const shortTopic = (topic: string) => topic.split('.').pop() ?? topic;

/**
 * The topics the keys act on: the selected one marked, each with its lag per partition and
 * whether it is halted; on a short screen only the rows around the selection.
 */
function topicLines(state: DashboardState, options: LayoutOptions, width: number, lines: DashboardLine[]): void {
  lines.push({ text: truncate('topics  ↑/↓ select · h halt · r resume · q quit', width), tone: 'heading', toneChars: 'topics'.length });
  const shown = options.rows && options.rows < 40 ? 3 : 6;
  const first = Math.min(Math.max(0, state.selected - Math.floor(shown / 2)), Math.max(0, state.topics.length - shown));
  const nameWidth = Math.min(28, Math.max(...state.topics.map((t) => shortTopic(t).length)));
  for (const [i, topic] of state.topics.entries()) {
    if (i < first || i >= first + shown) continue;
    const partitions = state.partitionLag.filter((p) => p.topic === topic).sort((a, b) => a.partition - b.partition);
    const total = partitions.reduce((sum, p) => sum + p.lag, 0);
    const lag =
      partitions.length === 0
        ? 'lag -'
        : `lag ${total}${partitions.length > 1 ? ` (${partitions.map((p) => `p${p.partition} ${p.lag}`).join(' · ')})` : ''}`;
    const halted = state.halted.includes(topic);
    const text = `${i === state.selected ? '›' : ' '} ${truncate(shortTopic(topic), nameWidth).padEnd(nameWidth)}  ${halted ? 'HALTED  ' : ''}${lag}`;
    lines.push({ text: truncate(text, width), ...(halted ? { tone: 'warn' as const } : {}) });
  }
  const hidden = state.topics.length - Math.min(shown, state.topics.length);
  if (hidden > 0 || state.keyNote)
    lines.push({
      text: truncate([hidden > 0 ? `  ${hidden} more (↑/↓)` : '', state.keyNote ?? ''].filter(Boolean).join('   '), width),
      tone: 'dim',
    });
}

/** The runner's stop reasons, as the title says them once the run is over. */
const ENDING: Record<string, string> = { end: 'finished: end of the stream', idle: 'finished: idle', signal: 'stopped' };

const countItems = (counts: Record<string, number>) =>
  Object.entries(counts)
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
    .map(([name, n]) => `${name} ${n}`);

export function dashboardLines(state: DashboardState, options: LayoutOptions): DashboardLine[] {
  const width = Math.max(MIN_WIDTH, options.width || FALLBACK_WIDTH) - 1;
  const content = width - LABEL;
  // Text from messages and errors: masked, and its control characters shown as escapes (`\x1b`).
  const mask = (text: string) => terminalSafeLine(maskText(text, options.secrets));
  const lines: DashboardLine[] = [];
  const row = (label: string, texts: string[], tone?: Tone, labelOnly = false) =>
    texts.forEach((text, i) =>
      lines.push({
        text: truncate(`${i === 0 && label ? `${label} `.padEnd(LABEL) : ''.padEnd(LABEL)}${mask(text)}`, width),
        ...(tone ? { tone } : {}),
        ...(tone && labelOnly ? { toneChars: label.length } : {}),
      }),
    );
  const t = state.tally;

  const status = state.stopped
    ? `  ${ENDING[state.stopped] ?? `stopped (${state.stopped})`}`
    : state.startedAt === undefined
      ? '  starting…'
      : '';
  lines.push({ text: `thoth investigate${status}`, tone: 'title', toneChars: 'thoth investigate'.length });
  if (state.startedAt !== undefined) {
    const up = formatUptime((state.stoppedAt ?? options.now) - state.startedAt);
    const run = [state.source, ...(state.group ? [`group ${state.group}`] : []), `workflows ${state.workflows}`, `up ${up}`];
    row('source', packItems(run.map(mask), content, '  ', 2));
  }
  const k = state.knowledge;
  if (k)
    row(
      'knowledge',
      packItems(
        [
          k.caughtUp ? `caught up${k.facts !== undefined ? ` (${k.facts} facts read)` : ''}` : `catching up: ${k.behind} record(s) to read`,
          k.topic,
        ].map(mask),
        content,
        '  ',
        1,
      ),
      k.caughtUp ? undefined : 'warn',
    );
  const counts = [
    `received ${t.received}`,
    `processed ${t.processed}`,
    `dead letters ${t.deadLetters}`,
    `duplicates ${t.duplicates}`,
    `retries ${t.retries}`,
    `lag ${state.lag ?? '-'}`,
    `${formatRate(messagesPerSecond(state, options.now))} msg/s`,
  ];
  row('messages', packItems(counts, content, '  ', 2));
  const byType = countItems(t.byType);
  // A short screen keeps its rows for the last events.
  const typeLines = options.rows && options.rows < 30 ? 2 : 4;
  row('by type', byType.length ? packItems(byType, content, ' · ', typeLines) : ['-']);
  row('workflows', packItems([`scheduled ${t.scheduled}`, `skipped as known ${t.known}`], content, '  ', 1));
  const kinds = countItems(t.byWorkflowKind);
  if (kinds.length) row('', packItems(kinds, content, ' · ', 2));
  row('effects', packItems([`knowledge recorded ${t.recorded}`, `follow-ups published ${t.published}`], content, '  ', 2));
  const d = state.decisions;
  if (d.taken + d.notDue + d.triggers > 0)
    row('decisions', packItems([`taken ${d.taken}`, `not due ${d.notDue}`, `triggered ${d.triggers}`], content, '  ', 1));
  if (state.halted.length) row('paused', packItems(state.halted, content, ', ', 2), 'warn');
  const dead = state.lastDeadLetter;
  if (dead) {
    const where = dead.topic !== undefined ? `${String(dead.type ?? dead.topic)}@${dead.partition}:${dead.offset} ` : '';
    const reason = mask(`${dead.ts.slice(11, 19)} ${where}${String(dead.errorClass)}: ${String(dead.reason)}`);
    row('dead letter', wrapWords(reason, content, 3), 'bad', true);
  }
  if (state.notices.length) {
    const earlier = state.noticeCount - state.notices.length;
    const shown = state.notices.map((n) => truncate(mask(n), content));
    row(earlier > 0 ? `notices +${earlier}` : 'notices', shown, 'warn', true);
  }

  if (state.topics.length) topicLines(state, options, width, lines);

  lines.push({ text: 'last events', tone: 'heading' });
  // Room left on the screen: one row for the line ink adds after the frame, one spare.
  const room = options.rows ? options.rows - lines.length - 2 : RECENT_EVENTS;
  const events = state.recent.slice(-Math.max(1, Math.min(RECENT_EVENTS, room)));
  if (events.length === 0) lines.push({ text: '  waiting for messages…', tone: 'dim' });
  for (const event of events) {
    let text = `  ${event.ts.slice(11, 19)} ${describeEvent(event)}`;
    // On a narrow screen the package index is the part to give up: it rarely changes.
    if (width < 100) text = text.replace(/ \(https?:\/\/[^\s)]+\)/g, '');
    lines.push({ text: truncate(mask(text), width), ...(event.event === 'dead-letter' ? { tone: 'bad' as const } : {}) });
  }
  return lines;
}
