import type { Cluster, Member } from '../cluster/types.ts';

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
