import { describe, expect, it } from 'vitest';
import { HarnessError, isAbort } from '../errors.ts';
import { type ModeResult, modeResult, modeState, modesOutcome, workloadKey } from './stage.ts';

const ok: ModeResult = { ok: true, ms: 1, evidence: {} };
const bad: ModeResult = { ok: false, ms: 1, evidence: {} };
const unknown: ModeResult = { ok: false, ms: 0, evidence: {}, error: 'Kubernetes API list: ECONNREFUSED' };

describe('a Kubernetes check in one mode', () => {
  it('a check that throws is unknown with its error and evidence, never a failure', async () => {
    const r = await modeResult(async () => {
      throw new HarnessError('CLUSTER_UNHEALTHY', 'no answer', { details: { evidence: { polls: 3 } } });
    });
    expect(modeState(r)).toBe('unknown');
    expect(r).toMatchObject({ error: 'no answer', evidence: { polls: 3 } });
  });

  it('an abort is not a result: it ends the run', async () => {
    const err = await modeResult(async () => {
      throw new HarnessError('ABORTED', 'interrupted');
    }).catch((e: unknown) => e);
    expect(isAbort(err)).toBe(true);
  });

  it('a result passes through', async () => {
    expect(await modeResult(async () => bad)).toEqual(bad);
    expect(modeState(bad)).toBe(false);
  });
});

describe('the outcome over both modes', () => {
  const modes = { ok, bad, unknown };
  it.each([
    ['ok', 'unknown', 'recovered'],
    ['ok', 'bad', 'recovered'],
    ['bad', 'ok', 'needs-restart'],
    ['bad', 'bad', 'not-recovered'],
    // We do not know whether it needed the restart.
    ['unknown', 'ok', 'unknown'],
    ['unknown', 'bad', 'unknown'],
    ['bad', 'unknown', 'unknown'],
  ] as const)('kept %s, restarted %s: %s', (kept, restarted, outcome) => {
    const r = modesOutcome(modes[kept], modes[restarted]);
    expect(r.outcome).toBe(outcome);
    expect(r.error).toBe(outcome === 'unknown' ? unknown.error : undefined);
  });
});

describe('the keys the key-level checks compare under --k8s', () => {
  it.each([
    ['/registry/namespaces/drill-a', true],
    ['/registry/deployments/drill-a/web', true],
    ['/registry/configmaps/drill-late/late-config', true],
    ['/registry/secrets/drill-a/late-credentials', true],
    ['/etcd-drill/after-backup', true],
    // What controllers add to the workload's namespaces, and the checks' own objects.
    ['/registry/configmaps/drill-late/kube-root-ca.crt', false],
    ['/registry/secrets/drill-a/default-token-6lxwc', false],
    ['/registry/deployments/drill-checks/after-restore-kept', false],
    ['/registry/leases/kube-system/kube-scheduler', false],
  ])('%s: %s', (key, kept) => {
    expect(workloadKey(key)).toBe(kept);
  });
});
