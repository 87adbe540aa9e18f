/**
 * The investigator's live dashboard (ink). Only rendered on a terminal; what
 * it shows, line by line, comes from dashboard-layout.ts.
 */
import { dashboardLines, type DashboardLine, type Tone } from './dashboard-layout.js';
import type { DashboardState } from './dashboard-model.js';
import { loadedInk } from './ink.js';

export interface DashboardProps {
  state: DashboardState;
  now: number;
  color: boolean;
  /** Terminal size; some pseudo-terminals report 0. */
  width: number;
  rows?: number;
  secrets?: readonly string[];
}

const STYLE: Record<Tone, { color?: string; bold?: boolean; dimColor?: boolean }> = {
  title: { color: 'cyan', bold: true },
  heading: { bold: true },
  bad: { color: 'red' },
  warn: { color: 'yellow' },
  dim: { dimColor: true },
};

function styleOf(tone: Tone, color: boolean) {
  const { color: hue, ...rest } = STYLE[tone];
  return color && hue ? { ...rest, color: hue } : rest;
}

function Line({ line, color }: { line: DashboardLine; color: boolean }) {
  const { Text } = loadedInk();
  if (!line.tone) return <Text wrap="truncate-end">{line.text}</Text>;
  const style = styleOf(line.tone, color);
  if (line.toneChars === undefined)
    return (
      <Text wrap="truncate-end" {...style}>
        {line.text}
      </Text>
    );
  return (
    <Text wrap="truncate-end">
      <Text {...style}>{line.text.slice(0, line.toneChars)}</Text>
      {line.text.slice(line.toneChars)}
    </Text>
  );
}

export function Dashboard({ state, now, color, width, rows, secrets }: DashboardProps) {
  const { Box } = loadedInk();
  const lines = dashboardLines(state, { now, width, rows, secrets });
  return (
    <Box flexDirection="column" width={width}>
      {lines.map((line, i) => (
        <Line key={i} line={line} color={color} />
      ))}
    </Box>
  );
}
