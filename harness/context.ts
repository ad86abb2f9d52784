import type { Logger } from './log.ts';

/** What every step of a run gets: who it is, where it may write, how to log, when to stop. */
export interface RunContext {
  /** Labels everything this run creates (folders, process command lines). */
  readonly runId: string;
  /** The run's own temporary folder; removed at the end unless --keep. */
  readonly workDir: string;
  readonly log: Logger;
  /** Aborted on Ctrl-C / SIGTERM: every wait and child command listens to it. */
  readonly signal: AbortSignal;
}

export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-${Math.random().toString(16).slice(2, 6)}`;
}
