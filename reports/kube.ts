import type { K8sReport, ModernK8sReport, Observations } from '../harness/result.ts';

/** One Kubernetes report of a drill, with the words its version's rendering needs. */
export interface KubeView {
  readonly key: 'k8s' | 'k8sModern';
  /** 'Kubernetes' for 1.20 (as reports always said it), 'Kubernetes 1.36'. */
  readonly label: string;
  /** What ran, after its version: 'control plane'. */
  readonly what: string;
  /** What its restart restarts, in a table header. */
  readonly parts: string;
  readonly report: K8sReport | ModernK8sReport;
}

/** A drill's Kubernetes reports: 1.20's control plane and 1.36's storage layer (one run has one). */
export function kubeReports(o: Observations): KubeView[] {
  const out: KubeView[] = [];
  if (o.k8s)
    out.push({ key: 'k8s', label: 'Kubernetes', what: 'control plane', parts: 'components', report: o.k8s });
  if (o.k8sModern)
    out.push({
      key: 'k8sModern',
      label: 'Kubernetes 1.36',
      what: 'storage layer, apiextensions-apiserver',
      parts: 'apiserver',
      report: o.k8sModern,
    });
  return out;
}
