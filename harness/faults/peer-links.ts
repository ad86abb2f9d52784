import { peerNetworkSupport } from '../cluster/netns.ts';
import type { Heal, Member, PeerNetwork } from '../cluster/types.ts';
import { clusterOf, type DrillContext } from '../engine/context.ts';
import type { ActiveFault, Fault } from '../engine/fault.ts';
import { HarnessError } from '../errors.ts';
import { resolveTarget, type Target } from './target.ts';
import { onceRunning } from './when-running.ts';

/** What a peer-link fault does to its member: said for the report, done by `act`, undone by its heal. */
export interface PeerLinkPlan {
  readonly description: string;
  readonly evidence: Readonly<Record<string, unknown>>;
  act(): Promise<Heal>;
}

/**
 * A fault on one member's peer links (partition, slow-peer): it needs a network of its own per
 * member, and strikes now, or, where that network exists only while the member runs (a container),
 * as soon as it runs.
 */
export function peerLinkFault(
  target: Target,
  plan: (net: PeerNetwork, m: Member, d: DrillContext) => PeerLinkPlan,
): Pick<Fault, 'needs' | 'supports' | 'inject'> {
  return {
    needs: { peerNetwork: true },
    supports: (d) => peerNetworkSupport(d.provider.name),
    async inject(d, phaseEnded): Promise<ActiveFault> {
      const cluster = clusterOf(d);
      const net = cluster.peerNetwork;
      if (!net)
        throw new HarnessError(
          'FAULT_INJECT',
          `${cluster.provider} cluster has no peer network of its own per member`,
        );
      const m = await resolveTarget(d, target);
      const { description, evidence, act } = plan(net, m, d);
      if (net.needsRunning && !m.running)
        return { ...onceRunning(m, phaseEnded, description, act), evidence };
      return { description, evidence, heal: await act() };
    },
  };
}
