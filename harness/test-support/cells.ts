import { versionKey } from '../pairs.ts';
import type { ScenarioResult } from '../result.ts';

/**
 * Checks whose outcome depends on timing, not on the procedure: whether etcd refuses a `member add`
 * ("unhealthy cluster") depends on how soon after the previous join it comes. CI reports them but
 * does not gate on them; their recorded expectations (and `varies`) come from the full matrix runs.
 */
const TIMING: ReadonlySet<string> = new Set(['member-add']);
/** Outcomes that are about timing too: a hash mismatch gone on the next look (a member still settling). */
const TIMING_OUTCOMES: Readonly<Record<string, string>> = { integrity: 'transient mismatch' };
export const timingOnly = (c: { id: string; observed: string }) =>
  TIMING.has(c.id) || TIMING_OUTCOMES[c.id] === c.observed;

/** Each cell that is unknown or whose gated checks are off their recorded expectation, in one line. */
export function offExpectation(results: readonly ScenarioResult[]): string[] {
  return results.flatMap((r) => {
    if (r.error) return [`${r.scenarioId}@${versionKey(r)}: unknown ${r.error.message}`];
    const bad = r.checks.filter((c) => c.verdict !== 'as-expected' && !timingOnly(c));
    // A clean-clone CI run keeps no results.json: the evidence in its log is all there is to go on.
    for (const c of bad)
      console.log(`${r.scenarioId}@${versionKey(r)} ${c.id} evidence: ${JSON.stringify(c.evidence)}`);
    return bad.length
      ? [
          `${r.scenarioId}@${versionKey(r)}: ${bad.map((c) => `${c.id} ${c.observed} (expected ${c.expected})`).join(', ')}`,
        ]
      : [];
  });
}

/** The timing-dependent checks off their expectation: printed, not gated. */
export function timingOff(results: readonly ScenarioResult[]): string[] {
  const timing = results.flatMap((r) =>
    r.checks
      .filter((c) => timingOnly(c) && c.verdict !== 'as-expected')
      .map((c) => `${r.scenarioId}@${versionKey(r)} ${c.id}: ${c.observed}`),
  );
  if (timing.length)
    console.log(`timing-dependent checks off their recorded expectation (not gated):\n${timing.join('\n')}`);
  return timing;
}
