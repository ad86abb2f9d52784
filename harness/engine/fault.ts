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
  /** Whether this drill's cluster can take it; "not applicable: <reason>" otherwise. */
  supports?(d: DrillContext): Support;
  inject(d: DrillContext): Promise<ActiveFault>;
}
