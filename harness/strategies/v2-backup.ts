import { copyFile, cp, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Cluster } from '../cluster/types.ts';
import { HarnessError } from '../errors.ts';
import type { EtcdDist } from '../etcd/dist.ts';
import { forceNewClusterThenAdd, helpMentions, saveSnapshot } from './common.ts';
import type { BackupArtifact, Recorder, Strategy, Support } from './types.ts';

/** Where the v3 snapshot goes in the copied v2 backup: beside member/ (S2), nowhere (S3), as member/snap/db (S4). */
type Layout = 'alongside' | 'none' | 'as-db';

/** 3.5 moved `backup` to etcdutl; 3.3/3.4 have it as `ETCDCTL_API=2 etcdctl backup`. */
async function backupTool(dist: EtcdDist): Promise<'etcdutl' | 'etcdctl' | undefined> {
  if (await helpMentions(dist, 'etcdutl', ['backup'], '--backup-dir')) return 'etcdutl';
  if (await helpMentions(dist, 'etcdctl', ['backup'], '--backup-dir', 2)) return 'etcdctl';
  return undefined;
}

/**
 * The write-up's step 2: both backups of the first member, the v3 snapshot through its client URL and
 * the v2 data-dir backup (`etcdctl backup`, which rewrites member and cluster IDs). Without v3 it runs
 * on the live member as the write-up did; with v3 (--with-v3 / etcdutl's default) it needs the member
 * stopped, since it waits for the lock on member/snap/db that the running etcd holds.
 */
async function bothBackups(cluster: Cluster, rec: Recorder, withV3: boolean): Promise<BackupArtifact> {
  const snap = await saveSnapshot(cluster, rec);
  const [member] = cluster.members;
  if (!member) throw new HarnessError('STRATEGY', 'no member to back up');
  const tool = await backupTool(cluster.dist);
  const dir = join(cluster.backupDir, 'v2');
  const args = ['backup', '--data-dir', member.dataDir, '--backup-dir', dir];
  rec.note('v2Backup', { tool, withV3, memberStopped: withV3, dir });
  const run = async () => {
    if (tool === 'etcdutl') await cluster.etcdutl([...args, `--with-v3=${withV3}`]);
    else await cluster.etcdctl([...args, ...(withV3 ? ['--with-v3'] : [])], { api: 2, endpoints: 'none' });
  };
  if (withV3) {
    await rec.step(`${tool} backup --with-v3 of ${member.name}, stopped for it`, async () => {
      await member.stop();
      try {
        await run();
      } finally {
        await member.start({ state: 'existing' });
        await cluster.waitHealthy(cluster.members);
      }
    });
  } else {
    await rec.step(`${tool} backup (v2) of the running ${member.name}`, run);
  }
  const snapshot = snap.files[0];
  if (!snapshot) throw new HarnessError('STRATEGY', 'the snapshot was not written');
  return { ...snap, files: [snapshot, dir] };
}

function v2BackupStrategy(name: string, title: string, layout: Layout, withV3: boolean): Strategy {
  return {
    name,
    title,
    async supports(dist): Promise<Support> {
      const tool = await backupTool(dist);
      if (!tool)
        return { ok: false, reason: `etcd ${dist.version} has no backup command (etcdctl v2 or etcdutl)` };
      if (withV3 && !(await helpMentions(dist, tool, ['backup'], '--with-v3', tool === 'etcdctl' ? 2 : 3))) {
        return { ok: false, reason: `${tool} backup of etcd ${dist.version} has no --with-v3` };
      }
      return { ok: true };
    },
    rebuild: 'member-add',
    backup: (cluster, rec) => bothBackups(cluster, rec, withV3),
    async restore(artifact, cluster, rec) {
      const [first] = cluster.members;
      const [snapshot, v2dir] = artifact.files;
      if (!first || !snapshot || !v2dir)
        throw new HarnessError('STRATEGY', 'nothing to restore: no member or backup');
      await rec.step(`copy the v2 backup in as ${first.name}'s data dir (snapshot: ${layout})`, async () => {
        await cp(v2dir, first.dataDir, { recursive: true });
        if (layout === 'alongside') await copyFile(snapshot, join(first.dataDir, 'snapshot.db'));
        if (layout === 'as-db') {
          await mkdir(join(first.dataDir, 'member', 'snap'), { recursive: true });
          await copyFile(snapshot, join(first.dataDir, 'member', 'snap', 'db'));
        }
      });
      await forceNewClusterThenAdd(cluster, rec);
    },
  };
}

/** S2: the whole backup dir (member/ plus snapshot.db) copied in as the data dir. */
export const v2BackupAsDataDir = v2BackupStrategy(
  'v2-backup-as-data-dir',
  'v2 backup (etcdctl backup) copied in as the data dir, snapshot.db alongside → --force-new-cluster → member add',
  'alongside',
  false,
);

/** S3: as S2 with snapshot.db removed. */
export const v2BackupWithoutSnapshot = v2BackupStrategy(
  'v2-backup-without-snapshot',
  'v2 backup copied in as the data dir, no snapshot.db → --force-new-cluster → member add',
  'none',
  false,
);

/** S4 (finding 5): the v3 snapshot placed at member/snap/db inside the v2 backup. */
export const v2BackupWithSnapshotAsDb = v2BackupStrategy(
  'v2-backup-snapshot-as-db',
  'v2 backup with the v3 snapshot as member/snap/db → --force-new-cluster → member add',
  'as-db',
  false,
);

/** The backup the write-up waited for (etcd#7002): v2 backup carrying v3 data. */
export const v2BackupWithV3 = v2BackupStrategy(
  'v2-backup-with-v3',
  'v2 backup with v3 data (etcdctl backup --with-v3 / etcdutl backup), member stopped → --force-new-cluster → member add',
  'none',
  true,
);
