import { type CheckDef, type GradeInput, need } from '../engine/check.ts';
import { K8S_CHECK_TITLES, K8S_CHECKS } from '../k8s/check-names.ts';
import { PROBES } from '../probes/index.ts';
import { DEFAULT_EXPECTATIONS } from '../scenario.ts';
import { restoredReached } from './data.ts';

const ran = (name: string) => (i: GradeInput) => restoredReached(i) && i.extensions.includes(name);

/** An outcome the harness could not establish is never a product outcome. */
function settled(outcome: string, error: string | undefined): string {
  if (outcome === 'unknown') throw new Error(error ?? 'the outcome could not be established');
  return outcome;
}

/** One per probe: did the running component come to agree with etcd, only after a restart, or never? */
export const componentChecks: CheckDef[] = PROBES.map(({ name: probe, standsFor }) => ({
  id: `component-${probe}`,
  title: `component ${probe}: ${standsFor}`,
  expectPath: ['components', probe],
  fallback: DEFAULT_EXPECTATIONS.component,
  applies: ran('probes'),
  observe(i) {
    const r = need(i, 'components').find((p) => p.probe === probe);
    if (!r) throw new Error(`the ${probe} probe left no report`);
    return {
      observed: settled(r.outcome, r.error),
      evidence: {
        ...(r.recoverMs !== undefined ? { recoverMs: r.recoverMs } : {}),
        ...(r.restartRecoverMs !== undefined ? { afterRestartMs: r.restartRecoverMs } : {}),
        evidence: r.evidence,
        ...(r.afterRestart ? { afterRestart: r.afterRestart } : {}),
        ...(r.warnings ? { warnings: r.warnings } : {}),
      },
    };
  },
}));

/** One per control-plane check, across the two modes (kept running, then restarted). */
export const k8sChecks: CheckDef[] = K8S_CHECKS.map((check) => ({
  id: `k8s-${check}`,
  title: `Kubernetes: ${K8S_CHECK_TITLES[check]}`,
  expectPath: ['k8s', check],
  fallback: DEFAULT_EXPECTATIONS.component,
  applies: ran('k8s'),
  observe(i) {
    const c = need(i, 'k8s').checks.find((x) => x.check === check);
    if (!c) throw new Error(`the Kubernetes check ${check} left no report`);
    return {
      observed: settled(c.outcome, c.error ?? c.kept.error ?? c.restarted.error),
      evidence: {
        keptRunning: { ok: c.kept.ok, ms: c.kept.ms, evidence: c.kept.evidence },
        restarted: { ok: c.restarted.ok, ms: c.restarted.ms, evidence: c.restarted.evidence },
      },
    };
  },
}));
