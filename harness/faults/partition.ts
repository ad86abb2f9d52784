import { z } from 'zod';
import { peerNetworkSupport } from '../cluster/netns.ts';
import { clusterOf } from '../engine/context.ts';
import { HarnessError } from '../errors.ts';
import { defineFault } from './kind.ts';
import { resolveTarget, TargetSchema } from './target.ts';
import { onceRunning } from './when-running.ts';

/**
 * Cuts one member's peer traffic (the peer port, both directions) from the others, a 1|2 split; its
 * client port stays reachable, so the report can say what the cut-off member answered meanwhile.
 */
export const partition = defineFault({
  kind: 'partition',
  summary: "cut a member's peer links (iptables in its network namespace); its client port stays up",
  params: {
    target: TargetSchema,
    /** The target alone against the rest (a 2|1 split in a 3-member cluster). */
    split: z.literal('isolate').default('isolate'),
  },
  defaultAt: { during: 'backup' },
  providers: { process: true, container: true },
  build: (spec) => ({
    name: 'partition',
    at: spec.at,
    needs: { peerNetwork: true },
    supports: (d) => peerNetworkSupport(d.provider.name),
    async inject(d, phaseEnded) {
      const cluster = clusterOf(d);
      const net = cluster.peerNetwork;
      if (!net)
        throw new HarnessError('FAULT_INJECT', `${cluster.provider} cluster has no peer network to cut`);
      const m = await resolveTarget(d, spec.target);
      const from = cluster.members.filter((x) => x !== m);
      const description = `cut ${m.name} (${spec.target}) from ${from.map((x) => x.name).join(', ')} on the peer port`;
      const evidence = { member: m.name, from: from.map((x) => x.name) };
      if (net.needsRunning && !m.running)
        return { ...onceRunning(m, phaseEnded, description, () => net.isolate(m, from)), evidence };
      return { description, evidence, heal: await net.isolate(m, from) };
    },
  }),
});
