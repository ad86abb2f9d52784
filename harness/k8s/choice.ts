import { HarnessError } from '../errors.ts';
import { MODERN_K8S_EXTENSION } from './check-names.ts';

/** The Kubernetes versions a drill can run over its cluster (--k8s [version]). */
export const K8S_VERSIONS = ['1.20', '1.36'] as const;
export type K8sVersion = (typeof K8S_VERSIONS)[number];

/** The extension each version runs as, as results.json lists it. */
export const K8S_EXTENSION: Record<K8sVersion, string> = { '1.20': 'k8s', '1.36': MODERN_K8S_EXTENSION };

const ALIASES: Readonly<Record<string, K8sVersion>> = { modern: '1.36' };

export interface K8sFlags {
  /** Bare --k8s (true) is today's 1.20 control plane. */
  readonly k8s?: boolean | string | undefined;
  readonly k8sBinDir?: string | undefined;
  readonly k8sShortLeases?: boolean | undefined;
  readonly k8sModernBinDir?: string | undefined;
}

/** --k8s's version, or undefined without --k8s; any other value is bad input. */
export function k8sVersionOf(k8s: K8sFlags['k8s']): K8sVersion | undefined {
  if (k8s === undefined || k8s === false) return undefined;
  if (k8s === true) return '1.20';
  const v = ALIASES[k8s] ?? K8S_VERSIONS.find((x) => x === k8s);
  if (v) return v;
  throw new HarnessError(
    'BAD_INPUT',
    `--k8s "${k8s}" is not a version the harness drills: give --k8s or --k8s 1.20 (control plane), or --k8s 1.36 (alias modern, storage layer)`,
  );
}

/** The version, after checking every version-bound flag goes with it. */
export function checkK8sFlags(o: K8sFlags): K8sVersion | undefined {
  const v = k8sVersionOf(o.k8s);
  const bound = [
    [o.k8sBinDir, '--k8s-bin-dir', '1.20'],
    [o.k8sShortLeases, '--k8s-short-leases', '1.20'],
    [o.k8sModernBinDir, '--k8s-modern-bin-dir', '1.36'],
  ] as const;
  for (const [set, flag, needs] of bound) {
    if (!set || v === needs) continue;
    const add = needs === '1.20' ? '--k8s (1.20)' : '--k8s 1.36';
    throw new HarnessError(
      'BAD_INPUT',
      v
        ? `${flag} goes with ${add}, not --k8s ${v}: drop it`
        : `${flag} only means something with ${add}: add it, or drop ${flag}`,
    );
  }
  return v;
}
