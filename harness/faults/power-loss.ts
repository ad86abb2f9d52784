import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Cluster, Member } from '../cluster/types.ts';
import { clusterOf } from '../engine/context.ts';
import { defineFault } from './kind.ts';

async function walFiles(m: Member): Promise<number> {
  return (await readdir(join(m.dataDir, 'member', 'wal')).catch(() => [])).filter((f) => f.endsWith('.wal'))
    .length;
}

/**
 * Every member killed at once (SIGKILL; a container's kill), data dirs kept. It is a crash of every
 * process, not of the machine: what etcd wrote without fsync is still in the host's page cache, so
 * this tests etcd's recovery from its WAL, not the disk's honesty about fsync.
 */
export async function powerLoss(
  cluster: Cluster,
): Promise<{ description: string; evidence: Record<string, unknown> }> {
  await Promise.all(cluster.members.map((m) => m.kill()));
  const kept = await Promise.all(
    cluster.members.map(async (m) => ({
      name: m.name,
      dbBytes: (await stat(join(m.dataDir, 'member', 'snap', 'db')).catch(() => undefined))?.size ?? 0,
      walFiles: await walFiles(m),
    })),
  );
  return {
    description: `killed ${cluster.members.map((m) => m.name).join(', ')} at once, data dirs kept`,
    evidence: { dataDirs: kept },
  };
}

/** Fault 7: every member down at once with its data; restart-in-place (or a restore) follows. */
export const powerLossFault = defineFault({
  kind: 'power-loss',
  summary:
    'every member killed at once, data dirs kept (drill it with restart-in-place: no acknowledged write lost)',
  params: {},
  defaultAt: { during: 'disaster' },
  providers: { process: true, container: true },
  disaster: true,
  build: () => ({
    async inject(d) {
      return powerLoss(clusterOf(d));
    },
  }),
});
