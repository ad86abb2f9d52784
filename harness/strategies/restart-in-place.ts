import { HarnessError } from '../errors.ts';
import { saveSnapshot } from './common.ts';
import { hasDataDir } from './data-dir.ts';
import type { Strategy } from './types.ts';

/**
 * After a power loss nothing needs restoring: every member starts again on its own data dir, as its
 * service manager would, and etcd replays its WAL ("Any completed operations are durable": etcd's API
 * guarantees, learning/api_guarantees). The backup phase's snapshot is taken and not used.
 */
export const restartInPlace: Strategy = {
  name: 'restart-in-place',
  title: 'every member started again on its own data dir (no restore)',
  async supports() {
    return { ok: true };
  },
  rebuild: 'in-place',
  restoresTo: 'pre-disaster',
  backup: saveSnapshot,
  async restore(_artifact, cluster, rec) {
    const bare = cluster.members.filter((m) => !hasDataDir(m)).map((m) => m.name);
    if (bare.length) {
      throw new HarnessError(
        'BAD_INPUT',
        `restart-in-place restarts members on their own data dirs and ${bare.join(', ')} has none: pair it with the power-loss fault`,
      );
    }
    await rec.step('start every member again on its own data dir', async () => {
      // The data dir holds the member: etcd ignores --initial-cluster-state, as on any restart.
      await Promise.all(cluster.members.filter((m) => !m.running).map((m) => m.start({ state: 'new' })));
      await cluster.waitHealthy(cluster.members);
    });
  },
};
