import type { Access } from '../etcd/api.ts';
import type { RevisionMark } from './common.ts';

/** What a probe can conclude about one component after a restore (what expectations name). */
export const PROBE_OUTCOMES = ['recovered', 'needs-restart', 'not-recovered'] as const;
/** 'unknown': the harness could not tell (etcd unreadable, a restart that failed); never expected. */
export type ProbeOutcome = (typeof PROBE_OUTCOMES)[number] | 'unknown';
export const PROBE_NAMES = ['informer', 'lease-lock', 'election', 'occ-writer', 'lease-holder'] as const;
export type ProbeName = (typeof PROBE_NAMES)[number];

/** Every key a probe writes lives here, so the data checks can leave them out. */
export const PROBE_PREFIX = '/etcd-drill/probes/';

/**
 * One look at whether a running probe's view agrees with the cluster. A look that cannot tell (etcd's
 * truth could not be read) throws instead: that is no answer, never a disagreement.
 */
export interface ProbeCheck {
  readonly ok: boolean;
  /** Why not (or what was seen): short, for the report. */
  readonly evidence: Readonly<Record<string, unknown>>;
  /** Harm seen even though the component works (e.g. a silent overwrite): reported, not graded. */
  readonly warnings?: readonly string[];
}

/** A running component stand-in: a real etcd client doing what a Kubernetes component does. */
export interface RunningProbe {
  /** Revisions in the response headers this probe's clients saw. */
  readonly revisions: RevisionMark;
  /** Does what this component believes agree with etcd right now? Throws when it cannot tell. */
  check(a: Access): Promise<ProbeCheck>;
  stop(): Promise<void>;
}

export interface ProbeKind {
  readonly name: ProbeName;
  /** What it stands for in a Kubernetes cluster (README and report). */
  readonly standsFor: string;
  start(a: Access, opts: ProbeOptions): Promise<RunningProbe>;
}

export interface ProbeOptions {
  /** A name that keeps two probes of one run apart (first start vs restart). */
  readonly instance: string;
  readonly log?: (msg: string) => void;
}

/** What a probe concluded, as results.json keeps it (the model is harness/result.ts). */
export type { ProbeReport } from '../result.ts';
