import { describe, expect, it } from 'vitest';
import type { CheckResult } from '../result.ts';
import { gradeText, procedureGrade } from './grade.ts';

const c = (
  id: string,
  observed: string,
  evidence: Record<string, unknown> = {},
  verdict: CheckResult['verdict'] = 'as-expected',
): CheckResult => ({
  id,
  title: id,
  expectPath: [id],
  expected: observed,
  observed,
  verdict,
  source: 's',
  evidence,
});
const clean = [
  c('backup', 'completed'),
  c('restore', 'completed'),
  c('v3-data', 'restored', { expected: 270 }),
  c('v2-data', 'restored', { expected: 7 }),
  c('membership', 'healthy'),
  c('integrity', 'consistent'),
  c('revision', 'backwards'),
  c('component-informer', 'recovered'),
];

describe('procedure grade', () => {
  it('safe when every API is back exactly, members agree and components recover by themselves', () => {
    expect(procedureGrade(clean)).toEqual({ grade: 'safe', reasons: [] });
  });
  it('S2 on 3.4: v3 lost is data loss with the count, even when it is as expected', () => {
    const g = procedureGrade([
      ...clean.filter((x) => x.id !== 'v3-data'),
      c('v3-data', 'lost', { expected: 270, missing: 270, changed: 0 }),
    ]);
    expect(gradeText(g)).toBe('data loss (v3: 270 of 270 keys)');
  });
  it('names divergent members, a degraded membership and components that need a restart', () => {
    const g = procedureGrade([
      c('v3-data', 'divergent'),
      c('membership', 'degraded', { healthy: 2, members: 3 }),
      c('component-informer', 'needs-restart'),
      c('component-lease-holder', 'needs-restart'),
      c('k8s-watch-cache', 'needs-restart'),
    ]);
    expect(g.reasons).toEqual([
      'divergent members',
      'degraded membership (2 of 3 healthy)',
      'needs component restart (informer, lease-holder)',
      'needs Kubernetes component restart (watch-cache)',
    ]);
  });
  it('names Kubernetes 1.36 findings as such, never again under 1.20', () => {
    const g = procedureGrade([
      c('k8s-watch-cache', 'not-recovered'),
      c('k8s-1.36-cache-list', 'needs-restart'),
      c('k8s-1.36-informer', 'not-recovered'),
      c('k8s-1.36-quorum-list', 'recovered'),
    ]);
    expect(g.reasons).toEqual([
      'Kubernetes component not recovered (watch-cache)',
      'needs Kubernetes 1.36 apiserver restart (cache-list)',
      'Kubernetes 1.36 apiserver not recovered (informer)',
    ]);
  });
  it('names which member serves what when the members diverge', () => {
    const members = {
      etcd1: { outcome: 'restored', keys: 270 },
      etcd2: { outcome: 'lost', keys: 0 },
      etcd3: { outcome: 'lost', keys: 0 },
    };
    expect(procedureGrade([c('v3-data', 'divergent', { members })]).reasons).toEqual([
      'divergent members (v3: etcd1 restored, 270 keys; etcd2, etcd3 lost, 0 keys)',
    ]);
  });
  it("judges data against a procedure's claim: an API it does not claim is not held against it", () => {
    const v2Lost = [
      ...clean.filter((x) => x.id !== 'v2-data'),
      c('v2-data', 'lost', { expected: 7, missing: 7 }),
    ];
    expect(procedureGrade(v2Lost).reasons).toEqual(['data loss (v2: 7 of 7 entries)']);
    expect(procedureGrade(v2Lost, { claims: ['v3'] })).toEqual({ grade: 'safe', reasons: [] });
    expect(procedureGrade(v2Lost, { claims: ['v2'] }).grade).toBe('unsafe');
    const v3Lost = [
      ...clean.filter((x) => x.id !== 'v3-data'),
      c('v3-data', 'lost', { expected: 270, missing: 270 }),
    ];
    expect(procedureGrade(v3Lost, { claims: ['v3'] }).reasons).toEqual(['data loss (v3: 270 of 270 keys)']);
    // An unclaimed API that could not be read leaves nothing unknown about the claim.
    const v2Unknown = [...clean.filter((x) => x.id !== 'v2-data'), c('v2-data', 'unknown', {}, 'unknown')];
    expect(procedureGrade(v2Unknown, { claims: ['v3'] }).grade).toBe('safe');
  });
  it('a failed backup and a refused restore are findings', () => {
    expect(procedureGrade([c('backup', 'failed')]).reasons).toEqual(['backup failed (failed)']);
    expect(
      procedureGrade([c('backup', 'completed'), c('restore', 'refused: corrupt snapshot')]).reasons,
    ).toEqual(['restore refused: corrupt snapshot']);
  });
  it('unknown when something could not be established and nothing definite was found', () => {
    const g = procedureGrade([...clean, c('integrity', 'unknown', {}, 'unknown')]);
    expect(g.grade).toBe('unknown');
    expect(gradeText(g)).toBe('unknown (not established: integrity)');
    expect(procedureGrade(clean, { harnessError: 'etcd2 did not start' }).grade).toBe('unknown');
    expect(procedureGrade([]).grade).toBe('unknown');
  });
  it('without the probes nobody looked at the components: not safe, unknown', () => {
    expect(procedureGrade(clean, { componentsChecked: false })).toEqual({
      grade: 'unknown',
      reasons: ['components not checked (--no-probes)'],
    });
  });
  it('members that hashed differently for a while did not all agree', () => {
    const g = procedureGrade([
      ...clean.filter((x) => x.id !== 'integrity'),
      c('integrity', 'transient mismatch'),
    ]);
    expect(g.reasons).toEqual(['members hashed differently for a while (transient mismatch)']);
  });
  it('a definite loss beats an unknown elsewhere (Jepsen: fail > unknown)', () => {
    const g = procedureGrade([
      c('v2-data', 'lost', { expected: 7, missing: 7 }),
      c('integrity', 'unknown', {}, 'unknown'),
    ]);
    expect(g).toEqual({ grade: 'unsafe', reasons: ['data loss (v2: 7 of 7 entries)'] });
  });
});
