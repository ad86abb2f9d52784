/**
 * Where a run tells a person how far it is. Every progress line goes through `out` (the logger writes
 * there); on a terminal outside CI a live status line stays under them: drills done/total, the phase
 * of each running drill, an ETA. Elsewhere `out` is the stream itself: the plain lines, unchanged.
 */

export interface Sink {
  write(s: string): unknown;
}

export interface DrillProgress {
  /** What the logger writes its lines to. */
  readonly out: Sink;
  started(cell: string): void;
  phase(cell: string, phase: string): void;
  finished(cell: string, durationMs: number): void;
  /** Clears the live line and stops its clock. */
  close(): void;
}

/** A live line only where a person watches: a terminal, not CI, not --quiet. */
export function wantsLiveLine(
  stream: { isTTY?: boolean },
  env: NodeJS.ProcessEnv = process.env,
  quiet = false,
): boolean {
  const ci = env.CI !== undefined && env.CI !== '' && env.CI !== 'false';
  return stream.isTTY === true && !ci && !quiet;
}

export interface EtaInput {
  /** Durations of the drills finished so far. */
  readonly finished: readonly number[];
  /** Cells not finished yet (running or waiting). */
  readonly pending: readonly string[];
  /** How long each running cell has run so far. */
  readonly running: ReadonlyMap<string, number>;
  /** Durations recorded by an earlier run (--durations), by cell. */
  readonly recorded?: ReadonlyMap<string, number>;
  readonly parallel: number;
}

/**
 * Milliseconds left, or undefined when there is nothing to go on: each pending cell costs the mean of
 * the drills finished so far, else its recorded duration (else the recorded mean); running cells are
 * credited with the time they have had; the work is spread over the parallel slots.
 */
export function estimateRemainingMs(i: EtaInput): number | undefined {
  const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const recorded = [...(i.recorded?.values() ?? [])];
  if (i.pending.length === 0) return 0;
  if (i.finished.length === 0 && recorded.length === 0) return undefined;
  const cost = (c: string) => (i.finished.length ? mean(i.finished) : (i.recorded?.get(c) ?? mean(recorded)));
  const work = i.pending.reduce((sum, c) => sum + Math.max(0, cost(c) - (i.running.get(c) ?? 0)), 0);
  return work / Math.max(1, Math.min(i.parallel, i.pending.length));
}

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/** The live line's text (pure, for tests): "[2/6 done] s5@3.5.30 restore · s6@3.4.23 seed · ETA 1m10s". */
export function statusText(o: {
  done: number;
  total: number;
  phases: ReadonlyMap<string, string>;
  etaMs: number | undefined;
}): string {
  const running = [...o.phases].map(([cell, phase]) => `${cell} ${phase}`);
  const eta = o.etaMs === undefined ? 'ETA ?' : `ETA ${formatDuration(o.etaMs)}`;
  return [`[${o.done}/${o.total} done]`, ...running, eta].join(' · ');
}

export function createProgress(o: {
  cells: readonly string[];
  parallel: number;
  stream: Sink & { isTTY?: boolean; columns?: number };
  live: boolean;
  recorded?: ReadonlyMap<string, number>;
}): DrillProgress {
  const plain: DrillProgress = {
    out: o.stream,
    started() {},
    phase() {},
    finished() {},
    close() {},
  };
  if (!o.live) return plain;
  const phases = new Map<string, string>();
  const startedAt = new Map<string, number>();
  const finished: number[] = [];
  const done = new Set<string>();
  let shown = false;
  const line = () => {
    const now = Date.now();
    const text = statusText({
      done: done.size,
      total: o.cells.length,
      phases,
      etaMs: estimateRemainingMs({
        finished,
        pending: o.cells.filter((c) => !done.has(c)),
        running: new Map([...startedAt].map(([c, t]) => [c, now - t])),
        ...(o.recorded ? { recorded: o.recorded } : {}),
        parallel: o.parallel,
      }),
    });
    // A line that wraps cannot be redrawn in place.
    const width = Math.max(20, (o.stream.columns || 100) - 1);
    return text.length > width ? `${text.slice(0, width - 1)}…` : text;
  };
  const redraw = () => {
    o.stream.write(`\r\x1b[K${line()}`);
    shown = true;
  };
  const clock = setInterval(redraw, 1000);
  clock.unref();
  return {
    out: {
      write(s: string) {
        o.stream.write(`\r\x1b[K${s}`);
        redraw();
      },
    },
    started(cell) {
      startedAt.set(cell, Date.now());
      phases.set(cell, 'start');
      redraw();
    },
    phase(cell, phase) {
      phases.set(cell, phase);
      redraw();
    },
    finished(cell, durationMs) {
      phases.delete(cell);
      startedAt.delete(cell);
      done.add(cell);
      finished.push(durationMs);
      redraw();
    },
    close() {
      clearInterval(clock);
      if (shown) o.stream.write('\r\x1b[K');
    },
  };
}
