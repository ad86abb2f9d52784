import type { Support } from '../strategies/types.ts';
import type { DrillContext } from './context.ts';
import type { Phase } from './phases.ts';

/** Where a fault runs: between two phases (after the named one) or during one, alongside its body. */
export type Placement = { readonly after: Phase } | { readonly during: Phase };

export function placementText(p: Placement): string {
  return 'after' in p ? `after ${p.after}` : `during ${p.during}`;
}

/** What an injected fault did; `heal` undoes it (a no-op for damage that cannot be undone). */
export interface ActiveFault {
  readonly description: string;
  readonly evidence?: Readonly<Record<string, unknown>>;
  heal?(): Promise<void>;
}

/**
 * A fault plug-in (a Jepsen nemesis crossed with an etcd failpoint). `after` faults are healed when
 * the next phase ends; `during` faults when their phase ends; either sooner with `forMs`.
 */
export interface Fault {
  readonly name: string;
  readonly at: Placement;
  /** A `during` fault: inject this long after the phase started, while its body runs. */
  readonly delayMs?: number | undefined;
  /** Heal this long after the injection. */
  readonly forMs?: number | undefined;
  /** What the cluster must offer; the start phase asks the provider for it (process: a netns per member). */
  readonly needs?: { readonly peerNetwork?: boolean };
  /** Whether this drill's cluster can take it; "not applicable: <reason>" otherwise. */
  supports?(d: DrillContext): Support;
  /** `phaseEnded` aborts when the fault's phase is over (or the run is interrupted): stop waiting then. */
  inject(d: DrillContext, phaseEnded: AbortSignal): Promise<ActiveFault>;
}
