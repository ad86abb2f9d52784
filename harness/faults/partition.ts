import { z } from 'zod';
import { clusterOf } from '../engine/context.ts';
import { defineFault } from './kind.ts';
import { peerLinkFault } from './peer-links.ts';
import { TargetSchema } from './target.ts';

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
  build: (spec) =>
    peerLinkFault(spec.target, (net, m, d) => {
      const from = clusterOf(d).members.filter((x) => x !== m);
      return {
        description: `cut ${m.name} (${spec.target}) from ${from.map((x) => x.name).join(', ')} on the peer port`,
        evidence: { member: m.name, from: from.map((x) => x.name) },
        act: () => net.isolate(m, from),
      };
    }),
});
