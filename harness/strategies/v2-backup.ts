import { copyFile, cp, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Cluster } from '../cluster/types.ts';
import { HarnessError } from '../errors.ts';
import type { EtcdDist } from '../etcd/dist.ts';
import { v2Api } from '../etcd/help.ts';
import { BACKUP_BOUND_MS, boundedBackup } from './bound.ts';
import { forceNewClusterThenAdd, helpMentions, saveSnapshot } from './common.ts';
import { dataDirForRestore } from './data-dir.ts';
import type { BackupArtifact, Recorder, Strategy, Support } from './types.ts';

/** Where the v3 snapshot goes in the copied v2 backup: beside member/ (S2), nowhere (S3), as member/snap/db (S4). */
export type Layout = 'alongside' | 'none' | 'as-db';
/** Whether the v2 backup reads the data dir of the running member (as the write-up did) or a stopped one. */
export type MemberMode = 'live' | 'stopped';
export type BackupTool = 'etcdutl' | 'etcdctl';

/** One cell of the grid: where the snapshot goes, which member state the backup reads, v3 data or not. */
export interface V2BackupMode {
  readonly layout: Layout;
  readonly member: MemberMode;
  readonly withV3: boolean;
}

const LAYOUT_NAMES: Record<Layout, string> = {
  alongside: 'v2-backup-as-data-dir',
  none: 'v2-backup-without-snapshot',
  'as-db': 'v2-backup-snapshot-as-db',
};

/**
 * Registry name of a grid cell: `<layout>/<live|stopped>[+v3]`. The write-up's own cells (live, no v3)
 * and the stopped with-v3 backup without a snapshot keep the names scenario files already use.
 */
export function v2BackupName({ layout, member, withV3 }: V2BackupMode): string {
  if (member === 'live' && !withV3) return LAYOUT_NAMES[layout];
  if (member === 'stopped' && withV3 && layout === 'none') return 'v2-backup-with-v3';
  return `${LAYOUT_NAMES[layout]}/${member}${withV3 ? '+v3' : ''}`;
}

/**
 * The backup command's arguments after `backup --data-dir D --backup-dir B`. With v3: etcdctl (3.3/3.4)
 * needs --with-v3, etcdutl (3.5) is on by default and gets no flag, as a user typing it would run it.
 */
export function v3Flags(tool: BackupTool, withV3: boolean): string[] {
  if (tool === 'etcdutl') return withV3 ? [] : ['--with-v3=false'];
  return withV3 ? ['--with-v3'] : [];
}

/** What the backup tool of a version offers, asked of the binaries. */
export interface ToolOffer {
  readonly version: string;
  readonly tool: BackupTool | undefined;
  readonly hasWithV3: boolean;
}

/** Whether a version's backup tool offers this mode. Live and stopped are the same command. */
export function gate(offer: ToolOffer, withV3: boolean): Support {
  const { version, tool, hasWithV3 } = offer;
  if (!tool) return { ok: false, reason: `etcd ${version} has no backup command (etcdctl v2 or etcdutl)` };
  if (withV3 && !hasWithV3)
    return { ok: false, reason: `${tool} backup of etcd ${version} has no --with-v3` };
  if (!withV3 && tool === 'etcdutl' && !hasWithV3)
    return { ok: false, reason: `etcdutl backup of etcd ${version} has no --with-v3 to turn v3 off` };
  return { ok: true };
}

/** 3.5 moved `backup` to etcdutl; 3.3/3.4 have it as `ETCDCTL_API=2 etcdctl backup`. */
async function backupTool(dist: EtcdDist): Promise<BackupTool | undefined> {
  if (await helpMentions(dist, 'etcdutl', ['backup'], '--backup-dir')) return 'etcdutl';
  if (await helpMentions(dist, 'etcdctl', ['backup'], '--backup-dir', 2)) return 'etcdctl';
  return undefined;
}

async function toolOffer(dist: EtcdDist): Promise<ToolOffer> {
  const tool = await backupTool(dist);
  const hasWithV3 =
    !!tool && (await helpMentions(dist, tool, ['backup'], '--with-v3', tool === 'etcdctl' ? 2 : 3));
  return { version: dist.version, tool, hasWithV3 };
}

/** The step's title, the command as a user would type it: it names the step a Refusal quotes. */
export function backupStepTitle(tool: BackupTool, mode: V2BackupMode, member: string): string {
  const cmd = tool === 'etcdutl' ? 'etcdutl backup' : 'ETCDCTL_API=2 etcdctl backup';
  const flags = v3Flags(tool, mode.withV3).join(' ');
  const v3 = tool === 'etcdutl' && mode.withV3 ? ' (v3 on by default)' : '';
  const of = mode.member === 'live' ? `the running ${member}` : `${member}, stopped for it`;
  return `${cmd}${flags ? ` ${flags}` : ''}${v3} of ${of}`;
}

/**
 * The write-up's step 2: the v2 data-dir backup of the first member (`backup`, which rewrites member
 * and cluster IDs), then the v3 snapshot through its client URL. The backup is bounded: a failure or a
 * hang is etcd's answer (Refusal, phase 'backup'); a stopped member is started again whatever happened.
 */
async function bothBackups(
  cluster: Cluster,
  rec: Recorder,
  mode: V2BackupMode,
  boundMs: number,
): Promise<BackupArtifact> {
  const [member] = cluster.members;
  if (!member) throw new HarnessError('STRATEGY', 'no member to back up');
  const tool = await backupTool(cluster.dist);
  if (!tool) throw new HarnessError('STRATEGY', `etcd ${cluster.dist.version} has no backup command`);
  const dir = join(cluster.backupDir, 'v2');
  const args = ['backup', '--data-dir', member.dataDir, '--backup-dir', dir, ...v3Flags(tool, mode.withV3)];
  rec.note('v2Backup', { tool, withV3: mode.withV3, memberStopped: mode.member === 'stopped', dir });
  const title = backupStepTitle(tool, mode, member.name);
  const run = () =>
    boundedBackup(
      title,
      (signal) =>
        tool === 'etcdutl'
          ? cluster.etcdutl(args, { signal })
          : cluster.etcdctl(args, { api: 2, endpoints: 'none', signal }),
      { boundMs, signal: cluster.ctx.signal },
    );
  await rec.step(title, async () => {
    if (mode.member === 'live') return run();
    await member.stop();
    try {
      return await run();
    } finally {
      await member.start({ state: 'existing' });
      await cluster.waitHealthy(cluster.members);
    }
  });
  // Where the write-up took it: after the v2 backup.
  const snap = await saveSnapshot(cluster, rec);
  const snapshot = snap.files[0];
  if (!snapshot) throw new HarnessError('STRATEGY', 'the snapshot was not written');
  return { ...snap, files: [snapshot, dir] };
}

/** A v2-backup strategy, with its backup's bound exposed for tests. */
export interface V2BackupStrategy extends Strategy {
  readonly mode: V2BackupMode;
  backup(cluster: Cluster, rec: Recorder, boundMs?: number): Promise<BackupArtifact>;
}

const LAYOUT_TITLES: Record<Layout, string> = {
  alongside: 'copied in as the data dir, snapshot.db alongside',
  none: 'copied in as the data dir, no snapshot.db',
  'as-db': 'with the v3 snapshot as member/snap/db',
};

function modeTitle({ member, withV3 }: V2BackupMode): string {
  return `${withV3 ? 'with v3 (--with-v3 / etcdutl default)' : 'v2 only'}, ${member} member`;
}

function v2BackupStrategy(mode: V2BackupMode): V2BackupStrategy {
  const { layout } = mode;
  return {
    name: v2BackupName(mode),
    title: `v2 backup (${modeTitle(mode)}) ${LAYOUT_TITLES[layout]} → --force-new-cluster → member add`,
    mode,
    rebuild: 'member-add',
    async supports(dist) {
      // A backup of the v2 store needs an etcd that has one: asked before its tools are.
      const v2 = await v2Api(dist);
      return v2.ok ? gate(await toolOffer(dist), mode.withV3) : v2;
    },
    // The restore copies files and starts etcd with --force-new-cluster: no backup tool is needed on B,
    // but an etcd that has a v2 store.
    supportsRestore: (dist) => v2Api(dist),
    backup: (cluster, rec, boundMs = BACKUP_BOUND_MS) => bothBackups(cluster, rec, mode, boundMs),
    async restore(artifact, cluster, rec) {
      const [first] = cluster.members;
      const [snapshot, v2dir] = artifact.files;
      if (!first || !snapshot || !v2dir)
        throw new HarnessError('STRATEGY', 'nothing to restore: no member or backup');
      // Over a surviving data dir (a fault's doing), cp merges: the old db and WAL files stay where the backup has none.
      const over = (await dataDirForRestore(first, rec)) === 'over-old' ? ' over its surviving one' : '';
      await rec.step(
        `copy the v2 backup in as ${first.name}'s data dir${over} (snapshot: ${layout})`,
        async () => {
          await cp(v2dir, first.dataDir, { recursive: true });
          if (layout === 'alongside') await copyFile(snapshot, join(first.dataDir, 'snapshot.db'));
          if (layout === 'as-db') {
            await mkdir(join(first.dataDir, 'member', 'snap'), { recursive: true });
            await copyFile(snapshot, join(first.dataDir, 'member', 'snap', 'db'));
          }
        },
      );
      await forceNewClusterThenAdd(cluster, rec);
    },
  };
}

const LAYOUTS: readonly Layout[] = ['alongside', 'none', 'as-db'];
const MODES: readonly Omit<V2BackupMode, 'layout'>[] = [
  { member: 'live', withV3: false },
  { member: 'live', withV3: true },
  { member: 'stopped', withV3: false },
  { member: 'stopped', withV3: true },
];

/**
 * The whole grid: S2 (whole backup dir as the data dir), S3 (no snapshot.db), S4 (snapshot as
 * member/snap/db), each from the live and the stopped member, with and without v3 data.
 */
export const V2_BACKUP_STRATEGIES: readonly V2BackupStrategy[] = LAYOUTS.flatMap((layout) =>
  MODES.map((m) => v2BackupStrategy({ layout, ...m })),
);

function cell(mode: V2BackupMode): V2BackupStrategy {
  const s = V2_BACKUP_STRATEGIES.find((x) => x.name === v2BackupName(mode));
  if (!s) throw new Error(`no v2-backup strategy for ${JSON.stringify(mode)}`);
  return s;
}

/** S2: the whole backup dir (member/ plus snapshot.db) copied in as the data dir. */
export const v2BackupAsDataDir = cell({ layout: 'alongside', member: 'live', withV3: false });
/** S3: as S2 with snapshot.db removed. */
export const v2BackupWithoutSnapshot = cell({ layout: 'none', member: 'live', withV3: false });
/** S4 (finding 5): the v3 snapshot placed at member/snap/db inside the v2 backup. */
export const v2BackupWithSnapshotAsDb = cell({ layout: 'as-db', member: 'live', withV3: false });
/** The backup the write-up waited for (etcd#7002): v2 backup carrying v3 data, member stopped. */
export const v2BackupWithV3 = cell({ layout: 'none', member: 'stopped', withV3: true });
