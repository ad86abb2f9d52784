import type { ScenarioResult } from '../harness/result.ts';

/**
 * Wall time per drill phase: from the phase's first step start to its last step end. Steps nest (the
 * `restore` step spans its own sub-steps), so a span, not a sum.
 */
export function phaseTimes(r: Pick<ScenarioResult, 'steps'>): Map<string, number> {
  const spans = new Map<string, { from: number; to: number }>();
  for (const s of r.steps) {
    const span = spans.get(s.phase);
    const to = s.startMs + s.durationMs;
    if (!span) spans.set(s.phase, { from: s.startMs, to });
    else spans.set(s.phase, { from: Math.min(span.from, s.startMs), to: Math.max(span.to, to) });
  }
  return new Map([...spans].map(([phase, { from, to }]) => [phase, to - from]));
}

/** The drill's restore time (its RTO as the harness measures it): the `restore` phase, absent if never reached. */
export function restoreTime(r: Pick<ScenarioResult, 'steps'>): number | undefined {
  return phaseTimes(r).get('restore');
}
