import { type CheckDef, type GradeInput, need } from '../engine/check.ts';
import {
  K8S_CHECK_TITLES,
  K8S_CHECKS,
  KIND_EXTENSION,
  KUBELET_CHECK_TITLES,
  KUBELET_CHECKS,
  MODERN_K8S_CHECK_TITLES,
  MODERN_K8S_CHECKS,
  MODERN_K8S_EXTENSION,
  MODERN_K8S_KEY,
} from '../k8s/check-names.ts';
import { PROBES } from '../probes/index.ts';
import { DEFAULT_EXPECTATIONS } from '../scenario.ts';
import { restoredReached } from './data.ts';

const ran =
  (...names: string[]) =>
  (i: GradeInput) =>
    restoredReached(i) && names.some((n) => i.extensions.includes(n));

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

type KubeKey = 'k8s' | 'k8sModern';

/**
 * One per Kubernetes check, across the two modes (kept running, then restarted); the 1.20 control
 * plane's and the 1.36 storage layer's reports have the same shape.
 */
function kubeChecks<N extends string>(k: {
  names: readonly N[];
  titles: Record<N, string>;
  /** Id and expectation key prefix after 'k8s-': '' for 1.20, '1.36-' for 1.36. */
  prefix: string;
  label: string;
  /** The extensions whose drills have these checks. */
  extensions: readonly string[];
  key: KubeKey;
}): CheckDef[] {
  return k.names.map((check) => ({
    id: `k8s-${k.prefix}${check}`,
    title: `${k.label}: ${k.titles[check]}`,
    expectPath: ['k8s', `${k.prefix}${check}`],
    fallback: DEFAULT_EXPECTATIONS.component,
    applies: ran(...k.extensions),
    observe(i) {
      const c = need(i, k.key).checks.find((x) => x.check === check);
      if (!c) throw new Error(`the ${k.label} check ${check} left no report`);
      return {
        observed: settled(c.outcome, c.error ?? c.kept.error ?? c.restarted.error),
        evidence: {
          keptRunning: { ok: c.kept.ok, ms: c.kept.ms, evidence: c.kept.evidence },
          restarted: { ok: c.restarted.ok, ms: c.restarted.ms, evidence: c.restarted.evidence },
        },
      };
    },
  }));
}

export const k8sChecks: CheckDef[] = kubeChecks({
  names: K8S_CHECKS,
  titles: K8S_CHECK_TITLES,
  prefix: '',
  label: 'Kubernetes',
  extensions: ['k8s', KIND_EXTENSION],
  key: 'k8s',
});

/** kind's kubelets (the process control plane has none): in the same report as the checks above. */
export const kubeletChecks: CheckDef[] = kubeChecks({
  names: KUBELET_CHECKS,
  titles: KUBELET_CHECK_TITLES,
  prefix: '',
  label: 'kubelets',
  extensions: [KIND_EXTENSION],
  key: 'k8s',
});

export const modernK8sChecks: CheckDef[] = kubeChecks({
  names: MODERN_K8S_CHECKS,
  titles: MODERN_K8S_CHECK_TITLES,
  prefix: MODERN_K8S_KEY,
  label: 'Kubernetes 1.36',
  extensions: [MODERN_K8S_EXTENSION],
  key: 'k8sModern',
});
