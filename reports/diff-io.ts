import { accessSync, constants, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { HarnessError } from '../harness/errors.ts';
import { checkWritableDir } from '../harness/input.ts';
import type { RunResult } from '../harness/result.ts';
import { diffExitCode, diffRuns, type RtoThreshold, type RunDiff } from './diff.ts';
import { renderDiff } from './diff-md.ts';

/** Throws BAD_INPUT unless `file` can be written (created, or overwritten), before any work starts. */
export function checkWritableFile(file: string, flag: string): void {
  const abs = resolve(file);
  const st = statSync(abs, { throwIfNoEntry: false });
  if (st?.isDirectory()) throw new HarnessError('BAD_INPUT', `${flag} ${file} is a folder: give a file name`);
  checkWritableDir(dirname(abs), flag);
  if (!st) return;
  try {
    accessSync(abs, constants.W_OK);
  } catch {
    throw new HarnessError('BAD_INPUT', `${flag} ${file} cannot be overwritten: give a file you can write`);
  }
}

export async function writeDiffFiles(d: RunDiff, to: { md?: string; json?: string }): Promise<string> {
  const md = renderDiff(d);
  for (const [file, text] of [
    [to.md, md],
    [to.json, `${JSON.stringify(d, null, 2)}\n`],
  ] as const) {
    if (!file) continue;
    await mkdir(dirname(resolve(file)), { recursive: true });
    await writeFile(file, text);
  }
  return md;
}

/**
 * `run`/`matrix --baseline`: the diff against the baseline, written as diff.md and diff.json in the
 * run's report folder. Returns the Markdown and the exit code: the run's own (130 and 2 stay as they
 * are), raised to 1 by a regression.
 */
export async function baselineDiff(
  baseline: RunResult,
  run: RunResult,
  reportDir: string,
  threshold: RtoThreshold,
): Promise<{ md: string; exitCode: number }> {
  const d = diffRuns(baseline, run, threshold);
  const md = await writeDiffFiles(d, { md: join(reportDir, 'diff.md'), json: join(reportDir, 'diff.json') });
  const exitCode = run.exitCode >= 2 ? run.exitCode : Math.max(run.exitCode, diffExitCode(d));
  return { md, exitCode };
}
