import { clusterOf } from '../engine/context.ts';
import type { Fault } from '../engine/fault.ts';

/**
 * The disaster that needs a restore: every member killed (a disaster gives no graceful shutdown, and
 * etcd's graceful stop waits on open client streams) and its data dir lost.
 */
export const loseEveryMember: Fault = {
  name: 'lose-every-member',
  at: { during: 'disaster' },
  async inject(d) {
    const cluster = clusterOf(d);
    for (const m of cluster.members) await m.kill();
    for (const m of cluster.members) await m.wipe();
    return {
      description: `killed ${cluster.members.map((m) => m.name).join(', ')} and removed their data dirs`,
    };
  },
};
