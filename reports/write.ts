import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunResult } from '../harness/result.ts';
import { renderSummary } from './render.ts';

/** Writes results.json and summary.md into `dir`; returns the summary text. */
export async function writeReport(run: RunResult, dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const summary = renderSummary(run);
  await writeFile(join(dir, 'results.json'), `${JSON.stringify(run, null, 2)}\n`);
  await writeFile(join(dir, 'summary.md'), summary);
  return summary;
}
