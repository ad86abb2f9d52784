import { z } from 'zod';
import type { Member } from '../cluster/types.ts';
import { clusterOf, type DrillContext } from '../engine/context.ts';
import { HarnessError } from '../errors.ts';

/** A member by name, or by role at the moment of injection. */
export const TargetSchema = z.union([
  z.enum(['leader', 'follower']),
  z.string().regex(/^etcd[1-9]\d*$/, 'a member name (etcd1, etcd2, …), leader or follower'),
]);
export type Target = z.infer<typeof TargetSchema>;

/** The member a target names now; a role needs a cluster that agrees on one leader. */
export async function resolveTarget(d: DrillContext, target: Target): Promise<Member> {
  const cluster = clusterOf(d);
  if (target !== 'leader' && target !== 'follower') {
    const m = cluster.members.find((x) => x.name === target);
    if (!m) throw new HarnessError('BAD_INPUT', `fault target ${target}: the cluster has no such member`);
    return m;
  }
  const h = await cluster.health();
  const leader = h.leaders.length === 1 ? h.leaders[0] : undefined;
  if (!leader)
    throw new HarnessError(
      'FAULT_INJECT',
      `fault target ${target}: the cluster agrees on no single leader (${h.leaders.length} seen)`,
    );
  const byRole = h.members.find((m) => m.running && (m.memberId === leader) === (target === 'leader'));
  const m = byRole && cluster.members.find((x) => x.name === byRole.name);
  if (!m) throw new HarnessError('FAULT_INJECT', `fault target ${target}: no running member has that role`);
  return m;
}
