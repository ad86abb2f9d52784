import { type CheckDef, need } from '../engine/check.ts';
import { DEFAULT_EXPECTATIONS } from '../scenario.ts';
import { restoredReached } from './data.ts';

/** Every member of the cluster listed, all healthy, one leader. */
export const membershipCheck: CheckDef = {
  id: 'membership',
  title: 'membership: every member listed, all healthy, one leader',
  expectPath: ['membership'],
  fallback: DEFAULT_EXPECTATIONS.notReached,
  applies: restoredReached,
  observe(i) {
    const r = need(i, 'restored');
    const silent = r.health.members.filter((m) => m.running && m.answered === false);
    if (silent.length) {
      throw new Error(
        `no answer from ${silent.map((m) => `${m.name} (${m.reason ?? 'no reply'})`).join(', ')}`,
      );
    }
    const size = r.health.members.length;
    const listed = r.membership.members.length;
    const healthy = r.health.members.filter((m) => m.healthy).length;
    return {
      observed: r.health.up && listed === size && healthy === size ? 'healthy' : 'degraded',
      evidence: {
        members: listed,
        healthy,
        leaders: r.health.leaders,
        unhealthy: r.health.members
          .filter((m) => !m.healthy)
          .map((m) => `${m.name}: ${m.reason ?? 'unhealthy'}`),
      },
    };
  },
};

/** Did the restore keep the cluster ID and the members' IDs, or hand out new ones? */
export const memberIdsCheck: CheckDef = {
  id: 'member-ids',
  title: 'member IDs and cluster ID: kept or changed by the restore',
  expectPath: ['memberIds'],
  fallback: DEFAULT_EXPECTATIONS.unrecorded,
  applies: restoredReached,
  observe(i) {
    const before = need(i, 'backupPoint').membership;
    const after = need(i, 'restored').membership;
    const ids = (v: typeof before) => Object.fromEntries(v.members.map((m) => [m.name, m.id]));
    const b = ids(before);
    const a = ids(after);
    const membersChanged = Object.keys(b).some((n) => a[n] !== undefined && a[n] !== b[n]);
    const clusterChanged = before.clusterId !== after.clusterId;
    const observed =
      membersChanged && clusterChanged
        ? 'both changed'
        : membersChanged
          ? 'member ids changed'
          : clusterChanged
            ? 'cluster id changed'
            : 'kept';
    return {
      observed,
      evidence: { clusterId: { before: before.clusterId, after: after.clusterId }, before: b, after: a },
    };
  },
};
