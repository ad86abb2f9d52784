import { describe, expect, it } from 'vitest';
import type { GradeInput } from '../engine/check.ts';
import type { ModeResult, ModernK8sReport } from '../result.ts';
import { k8sChecks, kubeletChecks, modernK8sChecks } from './components.ts';

const mode = (ok: boolean): ModeResult => ({ ok, ms: 1200, evidence: { served: 3 } });
const modern: ModernK8sReport = {
  version: '1.36.4',
  origin: 'debian sid',
  startMs: 3000,
  restartMs: 2000,
  checks: [
    { check: 'cache-list', outcome: 'needs-restart', kept: mode(false), restarted: mode(true) },
    { check: 'informer', outcome: 'unknown', kept: mode(true), restarted: mode(true), error: 'watch broke' },
  ],
  exits: [],
};
const input = (extensions: string[]): GradeInput => ({
  observations: { backup: { outcome: 'completed' }, restore: { outcome: 'completed' }, k8sModern: modern },
  extensions,
  rebuild: undefined,
});
const byId = (id: string) => {
  const c = modernK8sChecks.find((x) => x.id === id);
  if (!c) throw new Error(`no check ${id}`);
  return c;
};

describe('Kubernetes 1.36 checks', () => {
  it('are named, titled and recorded apart from 1.20 ones', () => {
    expect(byId('k8s-1.36-cache-list')).toMatchObject({
      title: expect.stringMatching(/^Kubernetes 1\.36: a resourceVersion=0 list/),
      expectPath: ['k8s', '1.36-cache-list'],
    });
    const ids = new Set(k8sChecks.map((c) => c.id));
    expect(modernK8sChecks.filter((c) => ids.has(c.id))).toEqual([]);
  });
  it("apply only when the 'k8s-1.36' extension ran, and 1.20's only with 'k8s'", () => {
    expect(byId('k8s-1.36-cache-list').applies(input(['probes', 'k8s-1.36']))).toBe(true);
    expect(byId('k8s-1.36-cache-list').applies(input(['probes', 'k8s']))).toBe(false);
    expect(k8sChecks.some((c) => c.applies(input(['k8s-1.36'])))).toBe(false);
  });
  it('observe the k8sModern report: outcome, both modes as evidence; unknown throws its error', () => {
    expect(byId('k8s-1.36-cache-list').observe(input(['k8s-1.36']))).toEqual({
      observed: 'needs-restart',
      evidence: {
        keptRunning: { ok: false, ms: 1200, evidence: { served: 3 } },
        restarted: { ok: true, ms: 1200, evidence: { served: 3 } },
      },
    });
    expect(() => byId('k8s-1.36-informer').observe(input(['k8s-1.36']))).toThrow('watch broke');
    expect(() => byId('k8s-1.36-quorum-list').observe(input(['k8s-1.36']))).toThrow(
      'the Kubernetes 1.36 check quorum-list left no report',
    );
  });
});

describe('kubelet checks', () => {
  it("apply only on kind ('kind' extension), where the 1.20 control-plane checks apply too", () => {
    expect(kubeletChecks.map((c) => c.id)).toEqual([
      'k8s-pods-running',
      'k8s-node-status',
      'k8s-removed-pods-stopped',
    ]);
    expect(kubeletChecks.every((c) => c.applies(input(['kind'])))).toBe(true);
    expect(kubeletChecks.some((c) => c.applies(input(['k8s'])))).toBe(false);
    expect(k8sChecks.every((c) => c.applies(input(['kind'])) && c.applies(input(['k8s'])))).toBe(true);
  });
});
