import type { Cluster, Member } from '../cluster/types.ts';
import { HarnessError } from '../errors.ts';
import { addMember, hexId, saveSnapshot } from './common.ts';
import type { Recorder, Strategy } from './types.ts';

/** `member remove` of a dead member, through the survivors; its ID is found by its peer URL. */
async function removeMember(cluster: Cluster, member: Member, rec: Recorder): Promise<void> {
  const listed = (await cluster.memberList()).find(
    (m) => m.name === member.name || m.peerUrls.includes(member.peerUrl),
  );
  if (!listed) throw new HarnessError('STRATEGY', `${member.name} is not in the member list to remove`);
  await rec.step(`member remove ${member.name} (${hexId(listed.id)})`, () =>
    cluster.etcdctl(['member', 'remove', hexId(listed.id)]),
  );
}

/**
 * One member lost with its disk, the others keeping quorum: no restore. etcd's runtime
 * reconfiguration guide ("Replace a failed machine", op-guide/runtime-configuration): remove the
 * failed member, add it back, start it on an empty data dir with --initial-cluster-state existing.
 * The backup phase's snapshot is taken as a runbook would, and not used.
 */
export const replaceMember: Strategy = {
  name: 'replace-member',
  title: 'member remove the dead member → member add → start it on an empty data dir (no restore)',
  async supports() {
    return { ok: true }; // member remove/add exist in every 3.x
  },
  rebuild: 'replace-member',
  restoresTo: 'pre-disaster',
  backup: saveSnapshot,
  async restore(_artifact, cluster, rec) {
    const dead = cluster.members.filter((m) => !m.running);
    const alive = cluster.members.filter((m) => m.running);
    if (dead.length === 0 || alive.length * 2 <= cluster.members.length) {
      throw new HarnessError(
        'BAD_INPUT',
        `replace-member needs dead members and a working majority (${alive.length} of ${cluster.members.length} running): pair it with the lose-one-member fault`,
      );
    }
    await rec.step('the survivors healthy with one leader', () => cluster.waitHealthy(alive));
    const adds = {};
    for (const m of dead) {
      await removeMember(cluster, m, rec);
      await addMember(cluster, m, rec, adds);
    }
    await rec.step('full membership healthy', () => cluster.waitHealthy(cluster.members));
  },
};
