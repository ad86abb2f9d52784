import type { Keyset } from '../etcd/api.ts';

export interface KeysetDiff {
  readonly expected: number;
  readonly observed: number;
  /** Keys present with the same value. */
  readonly same: number;
  readonly missing: readonly string[];
  readonly extra: readonly string[];
  readonly changed: readonly string[];
}

/** Key-level comparison of what was there at backup time with what a restore brought back. */
export function diffKeysets(expected: Keyset, observed: Keyset): KeysetDiff {
  const missing: string[] = [];
  const changed: string[] = [];
  let same = 0;
  for (const [k, v] of expected) {
    const o = observed.get(k);
    if (o === undefined) missing.push(k);
    else if (o !== v) changed.push(k);
    else same++;
  }
  const extra = [...observed.keys()].filter((k) => !expected.has(k));
  return { expected: expected.size, observed: observed.size, same, missing, extra, changed };
}

/** The diff for a report: counts and the first `n` keys of each kind. */
export function summarizeDiff(d: KeysetDiff, n = 10) {
  return {
    expected: d.expected,
    observed: d.observed,
    same: d.same,
    missing: d.missing.length,
    extra: d.extra.length,
    changed: d.changed.length,
    firstMissing: d.missing.slice(0, n),
    firstExtra: d.extra.slice(0, n),
    firstChanged: d.changed.slice(0, n),
  };
}
