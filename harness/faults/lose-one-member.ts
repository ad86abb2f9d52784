import type { Cluster, Member } from '../cluster/types.ts';
import { clusterOf } from '../engine/context.ts';
import { HarnessError } from '../errors.ts';
import { defineFault } from './kind.ts';
import { resolveTarget, TargetSchema } from './target.ts';

/**
 * One member dies with its disk; the others keep quorum and go on serving. Evidence: the survivors
 * healthy with one leader afterwards (an election when the leader was the one lost).
 */
export async function loseOneMember(
  cluster: Cluster,
  member: Member,
): Promise<{ description: string; evidence: Record<string, unknown> }> {
  const before = await cluster.health(cluster.members);
  await member.kill();
  await member.wipe();
  const rest = cluster.members.filter((m) => m !== member);
  const after = await cluster.waitHealthy(rest, 30_000);
  return {
    description: `killed ${member.name} and removed its data dir; ${rest.map((m) => m.name).join(', ')} serve on`,
    evidence: {
      lost: member.name,
      leaderBefore: before.leaders,
      leaderAfter: after.leaders,
      survivorsHealthy: after.members.filter((m) => m.healthy).map((m) => m.name),
    },
  };
}

/** Fault 6: one member lost with its disk; the cluster serves on and replace-member brings it back. */
export const loseOneMemberFault = defineFault({
  kind: 'lose-one-member',
  summary: 'one member killed and its data dir lost; the others keep quorum (drill it with replace-member)',
  params: { member: TargetSchema.default('leader') },
  defaultAt: { during: 'disaster' },
  providers: { process: true, container: true },
  disaster: true,
  build: (spec) => ({
    supports(d) {
      // A restore would start members that still run: the only procedure for this disaster is a replacement.
      if (d.strategy.rebuild !== 'replace-member')
        throw new HarnessError(
          'BAD_INPUT',
          `scenario ${d.scenario.id}: lose-one-member leaves a working cluster; pair it with the replace-member strategy, not ${d.strategy.name}`,
        );
      return { ok: true };
    },
    async inject(d) {
      return loseOneMember(clusterOf(d), await resolveTarget(d, spec.member));
    },
  }),
});
