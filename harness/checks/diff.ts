import type { Keyset } from '../etcd/api.ts';
import { DiffTally, KEEP, mergeSorted, type SortedDiff, sortedEntries } from './merge.ts';

/**
 * Key-level comparison: counts, and the first keys (up to KEEP, in key order) missing, extra or
 * changed; `counts` has how many there are of each.
 */
export type KeysetDiff = SortedDiff;

/** Key-level comparison of what was there at backup time with what a restore brought back. */
export function diffKeysets(expected: Keyset, observed: Keyset, keep = KEEP): KeysetDiff {
  return mergeSorted(sortedEntries(expected), sortedEntries(observed), new DiffTally(keep));
}

/** The diff for a report: counts and the first `n` keys of each kind. */
export function summarizeDiff(d: KeysetDiff, n = 10) {
  return {
    expected: d.expected,
    observed: d.observed,
    same: d.same,
    missing: d.counts.missing,
    extra: d.counts.extra,
    changed: d.counts.changed,
    firstMissing: d.missing.slice(0, n),
    firstExtra: d.extra.slice(0, n),
    firstChanged: d.changed.slice(0, n),
  };
}
