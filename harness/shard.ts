import { createHash } from 'node:crypto';
import { versionKey } from './pairs.ts';
import type { ScenarioResult } from './result.ts';

/**
 * Splitting a matrix across machines: which cells (scenario × version) a shard runs. Every shard
 * computes the same assignment from the same inputs, so n machines given 1/n … n/n run each cell
 * exactly once without talking to each other.
 */

/** A matrix cell's id, as results and tests name it: `<scenario>@<version>` (or `@A:B` for a pair). */
export const cellId = (scenarioId: string, version: string): string => `${scenarioId}@${version}`;
export const resultCell = (r: Pick<ScenarioResult, 'scenarioId' | 'etcd' | 'restoreEtcd'>): string =>
  cellId(r.scenarioId, versionKey(r));

export interface ShardSpec {
  /** 1-based. */
  readonly index: number;
  readonly total: number;
}

/** "i/n" with 1 <= i <= n, or undefined: the caller words the error. */
export function parseShard(text: string): ShardSpec | undefined {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) return undefined;
  const index = Number(m[1]);
  const total = Number(m[2]);
  return index >= 1 && index <= total ? { index, total } : undefined;
}

export type Assignment = 'durations' | 'round-robin';

/**
 * Cells per shard (index 0 is shard 1). With recorded durations: longest first onto the least-loaded
 * shard (ties: lower shard), cells with no record counted at the mean of those with one. Without any:
 * round robin over the sorted ids. Ties in duration are broken by cell id, so input order never matters.
 */
export function assignShards(
  cells: readonly string[],
  total: number,
  durations?: ReadonlyMap<string, number>,
): { shards: string[][]; assignment: Assignment } {
  const sorted = [...new Set(cells)].sort();
  const shards: string[][] = Array.from({ length: total }, () => []);
  const known = sorted.flatMap((c) => durations?.get(c) ?? []);
  if (known.length === 0) {
    for (const [i, c] of sorted.entries()) shards[i % total]?.push(c);
    return { shards, assignment: 'round-robin' };
  }
  const mean = known.reduce((a, b) => a + b, 0) / known.length;
  const cost = (c: string) => durations?.get(c) ?? mean;
  const load = new Array<number>(total).fill(0);
  const byCost = [...sorted].sort((a, b) => cost(b) - cost(a) || (a < b ? -1 : 1));
  for (const c of byCost) {
    const i = load.indexOf(Math.min(...load));
    load[i] = (load[i] ?? 0) + cost(c);
    shards[i]?.push(c);
  }
  return { shards, assignment: 'durations' };
}

/** Recorded drill durations of a finished run, by cell. */
export function durationsOf(results: readonly ScenarioResult[]): Map<string, number> {
  return new Map(results.map((r) => [resultCell(r), r.durationMs]));
}

/**
 * The identity every shard of one matrix shares: its cells and what changes their meaning (provider,
 * TLS, extensions, what the exit code follows). Shards of different matrices must not be merged.
 */
export function matrixIdentity(def: {
  cells: readonly string[];
  provider: string;
  tls: boolean;
  extensions: readonly string[];
  require: string;
  label?: string;
}): string {
  const canonical = JSON.stringify({
    cells: [...def.cells].sort(),
    provider: def.provider,
    tls: def.tls,
    extensions: [...def.extensions].sort(),
    require: def.require,
    label: def.label ?? null,
  });
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}
