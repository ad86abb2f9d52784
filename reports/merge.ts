import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { newRunId } from '../harness/context.ts';
import { HarnessError } from '../harness/errors.ts';
import {
  RESULTS_SCHEMA_VERSION,
  type RunResult,
  runExitCode,
  type ScenarioResult,
  type ShardInfo,
} from '../harness/result.ts';
import { resultCell } from '../harness/shard.ts';
import { readRun } from './regrade.ts';

/**
 * `report merge`: the shards of one matrix (matrix --shard i/n) joined into the run an unsharded
 * matrix would have written, so every reporter renders from it. Shards that do not belong together
 * are refused, never silently joined.
 */

export interface ShardFile {
  readonly file: string;
  readonly run: RunResult;
}

const fail = (msg: string): never => {
  throw new HarnessError('BAD_INPUT', msg);
};

/** A results.json, a folder holding one, or a folder of run folders (matrix --out <dir> writes <dir>/<run-id>/). */
export function resultFiles(paths: readonly string[]): string[] {
  return paths.flatMap((p) => {
    if (!existsSync(p)) return fail(`${p} does not exist: give shard folders or their results.json files`);
    if (!statSync(p).isDirectory()) return [p];
    if (existsSync(join(p, 'results.json'))) return [join(p, 'results.json')];
    const inside = readdirSync(p)
      .sort()
      .map((d) => join(p, d, 'results.json'))
      .filter((f) => existsSync(f));
    return inside.length
      ? inside
      : fail(`${p} holds no results.json (nor do its folders): give the --out folder of each shard`);
  });
}

export async function readShards(paths: readonly string[]): Promise<ShardFile[]> {
  const files = resultFiles(paths);
  return Promise.all(files.map(async (file) => ({ file, run: await readRun(file) })));
}

function shardOf(s: ShardFile): ShardInfo {
  return s.run.shard ?? fail(`${s.file} is not a shard: merge joins results of matrix --shard i/n runs`);
}

/** Every refusal that does not depend on --allow-partial: other matrices, repeated shards, overlaps. */
function checkTogether(shards: readonly ShardFile[]): void {
  const first = shards[0] ?? fail('no results to merge: give the shards of one matrix');
  const a = shardOf(first);
  const byIndex = new Map<number, string>();
  const cellOwner = new Map<string, string>();
  for (const s of shards) {
    const b = shardOf(s);
    if (b.label !== a.label)
      fail(
        `${s.file} has run label ${b.label ?? '(none)'}, ${first.file} ${a.label ?? '(none)'}: merge shards of one run`,
      );
    if (b.matrix !== a.matrix)
      fail(
        `${s.file} is a shard of another matrix than ${first.file} (cells, provider, TLS, probes or --require differ): merge shards of one matrix`,
      );
    if (b.total !== a.total)
      fail(
        `${s.file} is shard ${b.index}/${b.total}, ${first.file} ${a.index}/${a.total}: merge shards of one split`,
      );
    const again = byIndex.get(b.index);
    if (again) fail(`shard ${b.index}/${b.total} given twice (${again} and ${s.file}): give each shard once`);
    byIndex.set(b.index, s.file);
    for (const r of s.run.results) {
      const cell = resultCell(r);
      const owner = cellOwner.get(cell);
      if (owner)
        fail(
          `cell ${cell} is in both ${owner} and ${s.file}: shards dealt with different --durations overlap; re-run them with the same one`,
        );
      cellOwner.set(cell, s.file);
    }
  }
}

/** The cells no shard brought, and why in one line, or nothing. */
function missingCells(shards: readonly ShardFile[]): { cells: string[]; why?: string } {
  const info = shardOf(shards[0] as ShardFile);
  const have = new Set(shards.flatMap((s) => s.run.results.map(resultCell)));
  const cells = info.of.filter((c) => !have.has(c));
  if (cells.length === 0) return { cells };
  const given = new Set(shards.map((s) => shardOf(s).index));
  const absent = Array.from({ length: info.total }, (_, i) => i + 1).filter((i) => !given.has(i));
  const why = absent.length
    ? `shard ${absent.map((i) => `${i}/${info.total}`).join(', ')} missing`
    : `${cells.length} cell(s) missing (${cells.slice(0, 3).join(', ')}${cells.length > 3 ? ', …' : ''}): a shard did not finish`;
  return { cells, why };
}

/**
 * One run from its shards: results in the order an unsharded run lists them, exit code by the rule
 * every run uses (runExitCode). Throws BAD_INPUT naming the problem and the fix.
 */
export function mergeShards(shards: readonly ShardFile[], o: { allowPartial?: boolean } = {}): RunResult {
  checkTogether(shards);
  const missing = missingCells(shards);
  if (missing.why && !o.allowPartial)
    fail(`${missing.why}: give every shard's results, or --allow-partial to merge what there is`);
  const info = shardOf(shards[0] as ShardFile);
  const byCell = new Map<string, ScenarioResult>(
    shards.flatMap((s) => s.run.results.map((r) => [resultCell(r), r] as const)),
  );
  const results = info.of.flatMap((c) => byCell.get(c) ?? []);
  const runs = shards.map((s) => s.run);
  // The same in every shard: --require is part of the matrix identity.
  const require = runs[0]?.require ?? 'expected';
  const times = (k: 'startedAt' | 'finishedAt') => runs.map((r) => r[k]).sort();
  return {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    runId: newRunId(),
    tool: runs[0]?.tool ?? { name: 'etcd-drill', version: '?' },
    startedAt: times('startedAt')[0] ?? new Date().toISOString(),
    finishedAt: times('finishedAt').at(-1) ?? new Date().toISOString(),
    require,
    exitCode: runExitCode(results, require, {
      interrupted: runs.some((r) => r.exitCode === 130),
      missingCells: missing.cells.length,
    }),
    results,
    merged: {
      matrix: info.matrix,
      ...(info.label ? { label: info.label } : {}),
      from: shards
        .map((s) => ({ runId: s.run.runId, index: shardOf(s).index, file: s.file }))
        .sort((x, y) => x.index - y.index),
      total: info.total,
      missing: missing.cells,
    },
  };
}
