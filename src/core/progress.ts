/** Progress of a long-running service (replay), drawn by src/ui/progress.ts on a terminal and by nothing elsewhere. */
export interface Progress {
  /** `done` of `total` units (bytes, messages); total undefined draws a counter without a bar. */
  update(done: number, total: number | undefined, label: string): void;
  /** Erases the line so that a summary can follow. */
  finish(): void;
}

export const noProgress: Progress = { update: () => {}, finish: () => {} };
