import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunResult } from '../harness/result.ts';
import { renderHtml } from './html.ts';
import { renderJunit } from './junit.ts';
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
    { name: 'junit', file: 'junit.xml', render: renderJunit },
    { name: 'html', file: 'report.html', render: renderHtml },
  ].map((r) => [r.name, r]),
);
/** results.json: always written first, so `json` is a name to ask for but nothing to render. */
export const JSON_REPORTER = 'json';
export const DEFAULT_REPORTERS = [JSON_REPORTER, 'md'] as const;

/** json,md; in CI (CI=true, as GitHub Actions and GitLab set it) junit too, which CI systems read. */
export function defaultReporters(env: NodeJS.ProcessEnv = process.env): string[] {
  return env.CI === 'true' ? [...DEFAULT_REPORTERS, 'junit', 'html'] : [...DEFAULT_REPORTERS];
}

export const reporterNames = (): string[] => [JSON_REPORTER, ...REPORTERS.keys()];

/** "json,md" → ['json', 'md']; an unknown name throws, naming the valid ones. */
export function parseReporters(value: string): string[] {
  const names = value
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean);
  const unknown = names.filter((n) => !reporterNames().includes(n));
  const use = `use ${reporterNames().join(', ')} (comma-separated or repeated)`;
  if (unknown.length) throw new Error(`unknown reporter ${unknown.join(', ')}: ${use}`);
  if (names.length === 0) throw new Error(`no reporter named: ${use}`);
  return names;
}

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
    if (want === JSON_REPORTER) continue;
    const r = typeof want === 'string' ? REPORTERS.get(want) : want;
    if (!r) {
      failures.push({
        reporter: String(want),
        error: `unknown reporter: use ${reporterNames().join(', ')}`,
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
