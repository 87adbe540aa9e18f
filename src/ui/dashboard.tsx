/**
 * The investigator's live dashboard (ink). Only rendered on a terminal; the
 * state comes from dashboard-model.ts.
 */
import { Box, Text } from 'ink';
import { describeEvent, formatUptime, type DashboardState } from './dashboard-model.js';

export interface DashboardProps {
  state: DashboardState;
  now: number;
  color: boolean;
  /** Terminal width; some pseudo-terminals report 0. */
  width: number;
}

const byCount = (counts: Record<string, number>) =>
  Object.entries(counts)
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
    .map(([name, n]) => `${name} ${n}`)
    .join(' · ');

export function Dashboard({ state, now, color, width }: DashboardProps) {
  const t = state.tally;
  const accent = color ? 'cyan' : undefined;
  const bad = color && t.deadLetters > 0 ? 'red' : undefined;
  return (
    <Box flexDirection="column" width={width}>
      <Text>
        <Text bold color={accent}>
          thoth investigate
        </Text>
        {`  ${state.source}${state.group ? `  group ${state.group}` : ''}  workflows: ${state.workflows}`}
        {state.startedAt !== undefined ? `  up ${formatUptime(now - state.startedAt)}` : ''}
      </Text>
      <Text>
        {`messages  received ${t.received}  processed ${t.processed}  `}
        <Text color={bad}>{`dead letters ${t.deadLetters}`}</Text>
        {`  duplicates ${t.duplicates}  retries ${t.retries}  lag ${state.lag ?? '-'}`}
      </Text>
      <Text>{`by type   ${byCount(t.byType) || '-'}`}</Text>
      <Text>
        {`workflows scheduled ${t.scheduled}${Object.keys(t.byWorkflowKind).length ? ` (${byCount(t.byWorkflowKind)})` : ''}  skipped as known ${t.known}`}
      </Text>
      <Text>{`effects   knowledge recorded ${t.recorded}  follow-ups published ${t.published}`}</Text>
      {state.halted.length > 0 ? <Text color={color ? 'yellow' : undefined}>{`paused    ${state.halted.join(', ')}`}</Text> : null}
      <Text bold>last events</Text>
      {state.recent.length === 0 ? <Text dimColor>  waiting for messages…</Text> : null}
      {state.recent.map((event, i) => (
        <Text key={`${event.ts}-${i}`} wrap="truncate-end">
          {`  ${event.ts.slice(11, 19)} ${describeEvent(event)}`}
        </Text>
      ))}
    </Box>
  );
}
