import { describe, expect, it } from 'vitest';
import { CHECKS } from '../checks/index.ts';
import type { Observations } from '../result.ts';
import { parseScenario } from '../scenario.ts';
import { type CheckDef, type GradeInput, gradeChecks, need } from './check.ts';

const scenario = parseScenario(
  JSON.stringify({
    id: 't',
    title: 't',
    description: 't',
    fixtures: { v2: 'flannel', v3: 'k8s' },
    strategy: 's',
    expect: {
      v3: { outcome: 'restored', source: { kind: 'write-up', ref: 'step 3' } },
      v2: { outcome: 'lost', source: { kind: 'write-up', ref: 'step 3' } },
      membership: { outcome: 'healthy', source: { kind: 'write-up', ref: 'step 3' } },
    },
  }),
  't.json',
  ['s'],
);
const input = (observations: Observations, more: Partial<GradeInput> = {}): GradeInput => ({
  observations,
  extensions: [],
  rebuild: 'all-members',
  ...more,
});

describe('check-safe: a check that throws is unknown, with the error; nothing else grades', () => {
  it('a throwing check becomes unknown and keeps its expectation for the report', () => {
    const boom: CheckDef = {
      id: 'boom',
      title: 'boom',
      expectPath: ['v3'],
      fallback: { outcome: 'x', source: { kind: 'default', ref: 'y' } },
      applies: () => true,
      observe: () => {
        throw new Error('the read of etcd failed');
      },
    };
    const [r] = gradeChecks([boom], input({}), scenario, '3.5.30');
    expect(r).toMatchObject({ observed: 'unknown', verdict: 'unknown', expected: 'restored' });
    expect(r?.error?.message).toBe('the read of etcd failed');
  });
  it('a drill that stopped on a harness error before the restore leaves every later check unknown, not absent', () => {
    const error = { code: 'PROVIDER_START', message: 'etcd2 did not start' };
    const checks = gradeChecks(
      CHECKS,
      input({ backup: { outcome: 'completed' } }, { error }),
      scenario,
      '3.5.30',
    );
    const byId = Object.fromEntries(checks.map((c) => [c.id, c]));
    expect(byId.backup?.verdict).toBe('as-expected');
    expect(byId['v3-data']?.verdict).toBe('unknown');
    expect(byId['v3-data']?.error?.message).toContain('etcd2 did not start');
    expect(byId.membership?.verdict).toBe('unknown');
  });
  it('a failed backup ends the drill: later checks are not reached, the backup check says what etcd did', () => {
    const checks = gradeChecks(
      CHECKS,
      input({ backup: { outcome: 'failed', step: 'etcdutl backup', quote: 'timeout' } }),
      scenario,
      '3.5.30',
    );
    expect(checks.map((c) => [c.id, c.observed, c.verdict])).toEqual([['backup', 'failed', 'unexpected']]);
  });
  it('a lost observation (recorded under errors) makes only the checks that need it unknown', () => {
    const checks = gradeChecks(
      CHECKS,
      input({
        backup: { outcome: 'completed' },
        restore: { outcome: 'completed' },
        errors: { integrity: { message: 'HashKV at revision 9 failed on etcd2' } },
      }),
      scenario,
      '3.5.30',
    );
    const integrity = checks.find((c) => c.id === 'integrity');
    expect(integrity?.verdict).toBe('unknown');
    expect(integrity?.error?.message).toContain('HashKV at revision 9 failed on etcd2');
  });
  it('a component whose outcome is unknown is never graded as recovered or not', () => {
    const checks = gradeChecks(
      CHECKS,
      input(
        {
          backup: { outcome: 'completed' },
          restore: { outcome: 'completed' },
          components: [
            {
              probe: 'informer',
              outcome: 'unknown',
              error: 'could not start again',
              maxRevisionBefore: 3,
              evidence: {},
            },
          ],
        },
        { extensions: ['probes'] },
      ),
      scenario,
      '3.5.30',
    );
    const informer = checks.find((c) => c.id === 'component-informer');
    expect(informer).toMatchObject({ observed: 'unknown', verdict: 'unknown' });
    expect(informer?.error?.message).toBe('could not start again');
    // A probe with no report at all is unknown too.
    expect(checks.find((c) => c.id === 'component-election')?.verdict).toBe('unknown');
  });
});

describe('need', () => {
  const base = { extensions: [], rebuild: undefined } as const;
  it("names the observation's own error whole, and only the start of the drill's (said once, with the drill)", () => {
    const long = `${'x'.repeat(200)}\nsecond line`;
    const own = { observations: { errors: { k8s: { message: 'apiserver gone' } } }, ...base };
    expect(() => need(own, 'k8s')).toThrow('not observed: k8s (apiserver gone)');
    const drill = { observations: {}, error: { message: long }, ...base };
    expect(() => need(drill, 'k8s')).toThrow(`not observed: k8s (the drill stopped: ${'x'.repeat(120)}…)`);
    expect(() => need({ observations: {}, ...base }, 'k8s')).toThrow(/^not observed: k8s$/);
  });
});
