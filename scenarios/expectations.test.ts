import { describe, expect, it } from 'vitest';
import { KNOWN_VERSIONS } from '../harness/etcd/versions.ts';
import { findExpectation, legacyObserved } from '../harness/expectations.ts';
import { loadScenarios } from '../harness/scenario.ts';
import { STRATEGIES } from '../harness/strategies/index.ts';
import { EXPECTED_NOT_APPLICABLE } from '../harness/test-support/not-applicable.ts';

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

describe('every check a drill grades has a recorded expectation on every known version', () => {
  it('where a check applies, its scenario file says what to expect (not the "not recorded" default)', async () => {
    const scenarios = await loadScenarios([...STRATEGIES.keys()]);
    const missing: string[] = [];
    for (const s of scenarios) {
      const addsMembers = STRATEGIES.get(s.strategy)?.rebuild === 'member-add';
      const keys: ('memberIds' | 'peerUrl' | 'memberUpdate' | 'memberAdd')[] = [
        'memberIds',
        ...(addsMembers ? (['peerUrl', 'memberUpdate', 'memberAdd'] as const) : []),
      ];
      for (const v of KNOWN_VERSIONS.map((k) => k.version)) {
        // A drill that ends at the backup or the restore on this version grades none of them.
        const ends = (['backup', 'restore'] as const).some((k) => {
          const e = s.expect[k] && findExpectation(s.expect[k], v);
          return e && 'outcome' in e && e.outcome !== 'completed';
        });
        const na = EXPECTED_NOT_APPLICABLE.some((c) => c.cell === `${s.id}@${v}`);
        if (ends || na) continue;
        for (const k of keys) {
          const spec = s.expect[k];
          if (!spec || !findExpectation(spec, v)) missing.push(`${s.id}@${v} ${k}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });
});
