import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunResult } from '../harness/result.ts';
import { renderHtml } from './html.ts';
import { renderSummary } from './render.ts';

/** A report format: renders from results.json's content alone, so `report render` can redo it later. */
export interface Reporter {
  readonly name: string;
  /** File name inside the report folder. */
  readonly file: string;
  render(run: RunResult): string;
}

export const REPORTERS: ReadonlyMap<string, Reporter> = new Map(
  [
    { name: 'md', file: 'summary.md', render: renderSummary },
    { name: 'html', file: 'report.html', render: renderHtml },
  ].map((r) => [r.name, r]),
);
export const DEFAULT_REPORTERS = ['md'] as const;

export interface ReportOutcome {
  /** The Markdown summary (what the console prints), or a one-line stand-in when it could not be rendered. */
  readonly summary: string;
  readonly failures: readonly { reporter: string; error: string }[];
}

/**
 * results.json first (unless `json` is false: re-rendering a run in place), then each reporter on its own: a reporter that throws is reported and never
 * loses the raw results or the other reports.
 */
export async function writeReport(
  run: RunResult,
  dir: string,
  reporters: readonly (string | Reporter)[] = DEFAULT_REPORTERS,
  opts: { json?: boolean } = {},
): Promise<ReportOutcome> {
  await mkdir(dir, { recursive: true });
  if (opts.json ?? true) await writeFile(join(dir, 'results.json'), `${JSON.stringify(run, null, 2)}\n`);
  const failures: { reporter: string; error: string }[] = [];
  let summary: string | undefined;
  for (const want of reporters) {
    const r = typeof want === 'string' ? REPORTERS.get(want) : want;
    if (!r) {
      failures.push({
        reporter: String(want),
        error: `unknown reporter: use ${[...REPORTERS.keys()].join(', ')}`,
      });
      continue;
    }
    try {
      const text = r.render(run);
      await writeFile(join(dir, r.file), text);
      if (r.name === 'md') summary = text;
    } catch (err) {
      failures.push({ reporter: r.name, error: err instanceof Error ? err.message : String(err) });
    }
  }
  return {
    summary:
      summary ?? `etcd-drill run ${run.runId}: exit code ${run.exitCode}; see ${join(dir, 'results.json')}\n`,
    failures,
  };
}
