import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRun, regradeRun } from '../../reports/regrade.ts';
import { renderSummary } from '../../reports/render.ts';
import { judge } from '../expectations.ts';
import { exitCodeFor, mergeVerdicts } from '../result.ts';
import { DEFAULT_EXPECTATIONS } from '../scenario.ts';

// A real run with probes (process, 2 versions): c-s5-kill-restore's scenario file records its checks
// from --no-probes runs, so nothing is recorded for its probes.
const FIXTURE = join(
  import.meta.dirname,
  '..',
  '..',
  'reports',
  'fixtures',
  'matrix-s5-s6-kill.results.json',
);

describe('a check nothing is recorded for is reported, not judged against an invented outcome', () => {
  it('judge: against the unrecorded fallbacks, any observation is "unrecorded"', () => {
    for (const fallback of [DEFAULT_EXPECTATIONS.component, DEFAULT_EXPECTATIONS.unrecorded]) {
      expect(judge(fallback, 'needs-restart').verdict).toBe('unrecorded');
      expect(judge(fallback, 'recovered').verdict).toBe('unrecorded');
    }
  });

  it('unrecorded checks neither pass nor fail a drill; with none recorded the drill is unrecorded', () => {
    expect(mergeVerdicts([{ verdict: 'as-expected' }, { verdict: 'unrecorded' }])).toBe('as-expected');
    expect(mergeVerdicts([{ verdict: 'unexpected' }, { verdict: 'unrecorded' }])).toBe('unexpected');
    expect(mergeVerdicts([{ verdict: 'unrecorded' }])).toBe('unrecorded');
  });

  it('c-s5-kill-restore with probes: the informer that needed a restart is unrecorded, the run passes --require expected and fails --require safe', async () => {
    const before = await readRun(FIXTURE);
    const kill = (r: typeof before) => r.results.filter((x) => x.scenarioId === 'c-s5-kill-restore');
    // Graded when it ran against the invented "recovered": unexpected, exit 1.
    expect(kill(before).map((r) => r.checks.find((c) => c.id === 'component-informer')?.verdict)).toEqual([
      'unexpected',
      'unexpected',
    ]);
    const { run, changes } = await regradeRun(before);
    expect(changes).toEqual(
      expect.arrayContaining([
        'c-s5-kill-restore@3.5.30 component-informer: unexpected → unrecorded',
        'c-s5-kill-restore@3.4.23 component-informer: unexpected → unrecorded',
      ]),
    );
    for (const r of kill(run)) {
      const informer = r.checks.find((c) => c.id === 'component-informer');
      expect(informer).toMatchObject({ observed: 'needs-restart', expected: 'not recorded' });
      expect(informer?.source).toMatch(/^default: nothing recorded for this component/);
      // The component recovered only after a restart: that is still a finding about safety.
      expect(r.grade.reasons).toContain('needs component restart (informer)');
    }
    expect(exitCodeFor(kill(run), 'expected')).toBe(0);
    expect(exitCodeFor(kill(run), 'safe')).toBe(1);
    const md = renderSummary({ ...run, results: kill(run) });
    expect(md).toContain(
      'No recorded expectation for 5 check(s), so they were not judged and do not fail --require expected (--require safe still grades what they observed): component-informer observed needs-restart;',
    );
    expect(md).toContain('| component informer: ');
    expect(md).toMatch(/\| needs-restart \| no recorded expectation \(not judged\) \|/);
  });
});
