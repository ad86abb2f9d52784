import { clusterOf } from '../engine/context.ts';
import { defineFault } from './kind.ts';

/**
 * The disaster that needs a restore: every member killed (a disaster gives no graceful shutdown, and
 * etcd's graceful stop waits on open client streams) and its data dir lost.
 */
export const loseEveryMember = defineFault({
  kind: 'lose-every-member',
  summary: 'every member killed and its data dir lost (the default disaster)',
  params: {},
  defaultAt: { during: 'disaster' },
  providers: { process: true, container: true },
  disaster: true,
  build: () => ({
    async inject(d) {
      const cluster = clusterOf(d);
      for (const m of cluster.members) await m.kill();
      for (const m of cluster.members) await m.wipe();
      return {
        description: `killed ${cluster.members.map((m) => m.name).join(', ')} and removed their data dirs`,
      };
    },
  }),
});
