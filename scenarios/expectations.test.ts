import { describe, expect, it } from 'vitest';
import { legacyObserved } from '../harness/expectations.ts';
import { loadScenarios } from '../harness/scenario.ts';
import { STRATEGIES } from '../harness/strategies/index.ts';

// The gate for the 3-run rule: scenario files still parse with observed expectations recorded before it
// (one run, no run ids), and this test fails until each is re-recorded from runs:
//   etcd-drill expectations record reports/out/<run>/results.json ... --write
describe('shipped expectations', () => {
  it('every observed expectation stands on at least 3 agreeing runs, each named', async () => {
    const scenarios = await loadScenarios([...STRATEGIES.keys()]);
    const legacy = legacyObserved(scenarios).map((l) => `${l.scenario} ${l.path}: ${l.problem}`);
    expect(legacy).toEqual([]);
  });
});
