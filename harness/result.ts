import type { SerializedError } from './errors.ts';
import type { K8sReport } from './k8s/stage.ts';
import type { ProbeReport } from './probes/types.ts';

/**
 * The result model written to results.json (schema documented in reports/SCHEMA.md).
 * Bump RESULTS_SCHEMA_VERSION on any change a reader could notice.
 */
export const RESULTS_SCHEMA_VERSION = 2;

/** Per check: did what we observed match what the scenario expected? A harness failure is 'unknown'. */
export type CheckVerdict = 'as-expected' | 'unexpected' | 'unknown';
/** Per scenario: worst of its checks; 'not-applicable' when this etcd cannot run the strategy. */
export type ScenarioVerdict = CheckVerdict | 'not-applicable';

export interface CheckResult {
  readonly id: string;
  readonly title: string;
  readonly expected: string;
  readonly observed: string;
  readonly verdict: CheckVerdict;
  /** Where the expectation comes from. */
  readonly source: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

export interface StepResult {
  readonly title: string;
  /** Milliseconds since the scenario started. */
  readonly startMs: number;
  readonly durationMs: number;
  readonly ok: boolean;
  readonly error?: SerializedError;
}

export interface MembershipView {
  readonly clusterId?: string;
  readonly members: readonly { name: string; id: string; peerUrls: readonly string[] }[];
}

export interface ScenarioResult {
  readonly scenarioId: string;
  readonly title: string;
  readonly strategy: string;
  readonly provider: string;
  readonly etcd: { readonly version: string; readonly origin: string };
  readonly clusterSize: number;
  /** HTTPS with client certificates on client and peer URLs. */
  readonly tls: boolean;
  readonly verdict: ScenarioVerdict;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly steps: readonly StepResult[];
  /** v2 entries / v3 keys at the backup point and after restore, read from the clusters. */
  readonly counts: {
    readonly backup?: { readonly v2: number; readonly v3: number };
    readonly restored?: { readonly v2: number; readonly v3: number };
    /** v3 keys per Kubernetes resource type (/registry/<type>/), at the backup point and after restore. */
    readonly byType?: Readonly<Record<string, { readonly backup: number; readonly restored: number }>>;
  };
  readonly revisions: {
    readonly backup?: number;
    /** When the restored cluster was read (probes have written since it started). */
    readonly restored?: number;
    /** Highest revision a probe (or the harness) saw before the disaster. */
    readonly maxSeenBeforeDisaster?: number;
    /** Lowest revision a probe saw after the disaster began: where the restored cluster started. */
    readonly firstSeenAfterDisaster?: number;
  };
  readonly membership: { readonly before?: MembershipView; readonly after?: MembershipView };
  /** What the strategy saw on the way: tool used, snapshot figures, peer URLs after first start, … */
  readonly notes: Readonly<Record<string, unknown>>;
  readonly checks: readonly CheckResult[];
  /** The component probes' reports, when they ran (they are also graded as component-* checks). */
  readonly components?: readonly ProbeReport[];
  /** With --k8s: the control plane's checks in both modes (kept running, restarted). */
  readonly k8s?: K8sReport;
  /** etcd refused a step (e.g. a corrupt snapshot): the scenario ended there, with this observed outcome. */
  readonly refusal?: { readonly step: string; readonly outcome: string; readonly quote: string };
  readonly error?: SerializedError;
  readonly notApplicable?: string;
  /** With --keep: where the restored cluster still runs. */
  readonly kept?: {
    readonly endpoints: readonly string[];
    readonly workDir: string;
    /** Client certificate flags for etcdctl when the cluster runs with TLS. */
    readonly etcdctlFlags?: readonly string[];
  };
}

export interface RunResult {
  readonly schemaVersion: typeof RESULTS_SCHEMA_VERSION;
  readonly runId: string;
  readonly tool: { readonly name: 'etcd-drill'; readonly version: string };
  readonly startedAt: string;
  readonly finishedAt: string;
  /** 0, 1 or 2 (exitCodeFor), or 130 when interrupted. */
  readonly exitCode: number;
  readonly results: readonly ScenarioResult[];
}

/** 0: every verdict as expected (or not applicable); 2: a harness error left something unknown; 1: a finding. */
export function exitCodeFor(results: readonly ScenarioResult[]): number {
  if (results.some((r) => r.verdict === 'unknown')) return 2;
  if (results.some((r) => r.verdict === 'unexpected')) return 1;
  return 0;
}

/** unknown > unexpected > as-expected: a scenario whose checks could not all run is not a finding yet. */
export function mergeVerdicts(checks: readonly CheckResult[]): CheckVerdict {
  if (checks.length === 0) return 'unknown';
  if (checks.some((c) => c.verdict === 'unknown')) return 'unknown';
  if (checks.some((c) => c.verdict === 'unexpected')) return 'unexpected';
  return 'as-expected';
}
