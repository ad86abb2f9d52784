import { describe, expect, it } from 'vitest';
import { type CheckResult, exitCodeFor, mergeVerdicts, type ScenarioResult } from './result.ts';

const check = (verdict: CheckResult['verdict']): CheckResult => ({
  id: 'c',
  title: 'c',
  expectPath: ['c'],
  expected: 'x',
  observed: 'y',
  verdict,
  source: 's',
});
const scenario = (verdict: ScenarioResult['verdict'], grade: ScenarioResult['grade']['grade'] = 'safe') =>
  ({ verdict, grade: { grade, reasons: [] } }) as unknown as ScenarioResult;

describe('verdicts', () => {
  it('a scenario is as expected only when every check is', () => {
    expect(mergeVerdicts([check('as-expected'), check('as-expected')])).toBe('as-expected');
    expect(mergeVerdicts([check('as-expected'), check('unexpected')])).toBe('unexpected');
    expect(mergeVerdicts([check('unexpected'), check('unknown')])).toBe('unknown');
  });
  it('no checks at all is unknown, never a pass', () => {
    expect(mergeVerdicts([])).toBe('unknown');
  });
  it('exit codes: 0 all as expected, 1 a finding, 2 a harness error', () => {
    expect(exitCodeFor([scenario('as-expected'), scenario('not-applicable', 'not-applicable')])).toBe(0);
    expect(exitCodeFor([scenario('as-expected'), scenario('unexpected')])).toBe(1);
    expect(exitCodeFor([scenario('unexpected'), scenario('unknown')])).toBe(2);
  });
  it('--require safe: the exit code follows the procedure grade, not the regression verdict', () => {
    const lossAsRecorded = scenario('as-expected', 'unsafe');
    expect(exitCodeFor([lossAsRecorded])).toBe(0);
    expect(exitCodeFor([lossAsRecorded], 'safe')).toBe(1);
    expect(exitCodeFor([scenario('unexpected', 'safe')], 'safe')).toBe(0);
    expect(exitCodeFor([lossAsRecorded, scenario('unknown', 'unknown')], 'safe')).toBe(2);
  });
});
