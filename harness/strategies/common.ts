import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { cp, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Cluster, Member } from '../cluster/types.ts';
import { HarnessError, Refusal } from '../errors.ts';
import { firstLines } from '../etcd/ctl.ts';
import type { EtcdDist } from '../etcd/dist.ts';
import { toolDefines } from '../etcd/help.ts';
import { CORRUPT_SNAPSHOT, errorLine } from '../etcd/log-lines.ts';
import { answer, poll } from '../util/poll.ts';
import { boundedBackup } from './bound.ts';
import { dataDirForRestore } from './data-dir.ts';
import type { BackupArtifact, Recorder, Support } from './types.ts';

export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** `etcdctl snapshot save` through one member's client URL, as the write-up did. */
export async function saveSnapshot(cluster: Cluster, rec: Recorder): Promise<BackupArtifact> {
  const file = join(cluster.backupDir, 'snapshot.db');
  const source = cluster.members.find((m) => m.running);
  if (!source) throw new HarnessError('STRATEGY', 'no running member to take a snapshot from');
  const title = 'etcdctl snapshot save';
  // Bounded like every backup command: a save etcd fails or hangs on is its answer, not ours.
  await rec.step(title, () =>
    boundedBackup(
      title,
      // Exactly one endpoint: etcdctl refuses a snapshot from several.
      (signal) => cluster.etcdctl(['snapshot', 'save', file], { endpoints: [source], signal }),
      { signal: cluster.ctx.signal },
    ),
  );
  const status = await snapshotStatus(cluster, file);
  rec.note('snapshot', { ...status });
  return {
    files: [file],
    sha256: await sha256File(file),
    bytes: (await stat(file)).size,
    revision: status.revision,
  };
}

export interface SnapshotStatus {
  readonly hash: number;
  readonly revision: number;
  readonly totalKey: number;
  readonly totalSize: number;
}

/** `snapshot status -w json`; etcdutl from 3.5 on, where etcdctl's copy of the command is deprecated. */
export async function snapshotStatus(cluster: Cluster, file: string): Promise<SnapshotStatus> {
  const args = ['snapshot', 'status', file, '-w', 'json'];
  const out = cluster.dist.etcdutl
    ? await cluster.etcdutl(args)
    : await cluster.etcdctl(args, { endpoints: 'none' });
  return JSON.parse(out.stdout) as SnapshotStatus;
}

/**
 * `snapshot restore` into a member's data dir, with the write-up's flags. Uses etcdutl where it exists.
 * A surviving data dir is removed first, or, when a fault asks, the restore is made beside it and
 * copied over it (the tool itself refuses an existing dir).
 */
export async function restoreSnapshot(
  cluster: Cluster,
  member: Member,
  snapshot: string,
  rec: Recorder,
  extraFlags: readonly string[] = [],
): Promise<void> {
  if ((await dataDirForRestore(member, rec)) === 'empty')
    return restoreInto(cluster, member, member.dataDir, snapshot, rec, extraFlags);
  const beside = `${member.dataDir}.restored`;
  await rm(beside, { recursive: true, force: true });
  await restoreInto(cluster, member, beside, snapshot, rec, extraFlags);
  await rec.step(`copy the restored data dir over ${member.name}'s surviving one`, async () => {
    await cp(beside, member.dataDir, { recursive: true, force: true });
    await rm(beside, { recursive: true, force: true });
  });
}

async function restoreInto(
  cluster: Cluster,
  member: Member,
  dataDir: string,
  snapshot: string,
  rec: Recorder,
  extraFlags: readonly string[],
): Promise<void> {
  const args = [
    'snapshot',
    'restore',
    snapshot,
    '--name',
    member.name,
    '--data-dir',
    dataDir,
    '--initial-cluster',
    cluster.initialCluster(),
    '--initial-cluster-token',
    cluster.spec.token,
    '--initial-advertise-peer-urls',
    member.peerUrl,
    ...extraFlags,
  ];
  const tool = cluster.dist.etcdutl ? 'etcdutl' : 'etcdctl';
  rec.note('restoreTool', tool);
  const step = `${tool} snapshot restore (${member.name})`;
  await rec.step(step, async () => {
    try {
      return await (tool === 'etcdutl'
        ? cluster.etcdutl(args)
        : cluster.etcdctl(args, { endpoints: 'none' }));
    } catch (err) {
      const stderr = err instanceof HarnessError ? String(err.details?.stderr ?? '') : '';
      if (CORRUPT_SNAPSHOT.test(stderr))
        throw new Refusal('refused: corrupt snapshot', step, errorLine(stderr));
      throw err;
    }
  });
}

export function hexId(decimalId: string): string {
  return BigInt(decimalId).toString(16);
}

/** Parses the ETCD_INITIAL_CLUSTER line `etcdctl member add` prints for the new member's settings. */
export function parseMemberAddOutput(stdout: string): string {
  const m = /ETCD_INITIAL_CLUSTER="([^"]*)"/.exec(stdout);
  if (!m?.[1])
    throw new HarnessError('STRATEGY', `member add printed no ETCD_INITIAL_CLUSTER: ${firstLines(stdout)}`);
  return m[1];
}

// etcd refuses reconfiguration until members have been connected for its health interval (5 s).
const RETRYABLE_ADD = /unhealthy cluster|not enough started members|too many requests/i;

/**
 * The write-up's finding 2: add one member through etcdctl, start it on an empty data dir with the
 * printed initial cluster, and wait until everyone is healthy before the next.
 */
export async function addMember(
  cluster: Cluster,
  member: Member,
  rec: Recorder,
  adds: Record<string, { attempts: number; waitMs: number; refusals: string[] }>,
  timeoutMs = 60_000,
): Promise<void> {
  await rec.step(`member add ${member.name} and start it`, async () => {
    const t0 = Date.now();
    const refusals: string[] = [];
    const retryable = (err: unknown) => err instanceof HarnessError && RETRYABLE_ADD.test(err.message);
    const add = async () => {
      try {
        return await cluster.etcdctl(['member', 'add', member.name, `--peer-urls=${member.peerUrl}`]);
      } catch (err) {
        if (retryable(err)) refusals.push(RETRYABLE_ADD.exec((err as Error).message)?.[0] ?? 'refused');
        throw err;
      }
    };
    const r = await poll(() => answer(add, cluster.ctx.signal), {
      boundMs: timeoutMs,
      intervalMs: 1000,
      signal: cluster.ctx.signal,
      what: `adding ${member.name}`,
      done: (got) => got.ok || !retryable(got.error),
    });
    if (!r.last.ok) throw r.last.error;
    adds[member.name] = { attempts: r.looks, waitMs: Date.now() - t0, refusals };
    rec.note('memberAdds', adds);
    const initialCluster = parseMemberAddOutput(r.last.value.stdout);
    await member.wipe();
    await member.start({ state: 'existing', initialCluster });
    await cluster.waitHealthy(cluster.members.filter((m) => m.running));
  });
}

/** Finding 3: a restored member may advertise http://localhost:2380; fix it with `member update`. */
export async function fixPeerUrl(cluster: Cluster, member: Member, rec: Recorder): Promise<void> {
  const list = await cluster.memberList();
  rec.note(
    'membersAfterFirstStart',
    list.map((m) => ({ name: m.name, id: m.id, peerUrls: [...m.peerUrls] })),
  );
  const self = list.find((m) => m.name === member.name) ?? (list.length === 1 ? list[0] : undefined);
  if (!self)
    throw new HarnessError('STRATEGY', `${member.name} is not in the member list after its first start`);
  rec.note('peerUrlsAfterFirstStart', [...self.peerUrls]);
  rec.note('advertisedPeerUrl', member.peerUrl);
  if (self.peerUrls.length === 1 && self.peerUrls[0] === member.peerUrl) return;
  rec.note('peerUrlFixed', { from: [...self.peerUrls], to: member.peerUrl });
  await rec.step(`member update ${member.name} peer URL`, () =>
    cluster.etcdctl(['member', 'update', hexId(self.id), `--peer-urls=${member.peerUrl}`], {
      endpoints: [member],
    }),
  );
}

/**
 * The write-up's finding 2, after the first member's data dir holds the restored data: start it
 * alone with --force-new-cluster, fix its peer URL (finding 3), restart it without the flag (left in,
 * it would reset membership at the next restart), then add the others one at a time.
 */
export async function forceNewClusterThenAdd(cluster: Cluster, rec: Recorder): Promise<void> {
  const [first, ...rest] = cluster.members;
  if (!first) throw new HarnessError('STRATEGY', 'a cluster without members cannot be restored');
  await rec.step(`first member healthy (${first.name} with --force-new-cluster)`, async () => {
    await first.start({ state: 'new', forceNewCluster: true });
    await cluster.waitHealthy([first]);
  });
  await fixPeerUrl(cluster, first, rec);
  await rec.step(`restart ${first.name} without --force-new-cluster`, async () => {
    await first.restart({ state: 'new' });
    await cluster.waitHealthy([first]);
  });
  const adds = {};
  for (const m of rest) await addMember(cluster, m, rec, adds);
  await rec.step('full membership healthy', () => cluster.waitHealthy(cluster.members));
}

/** etcd's restore for Kubernetes (3.5.10+ / 3.4.27+): clients that remember revisions are forced to notice. */
export const BUMP_FLAGS = ['--bump-revision', '1000000000', '--mark-compacted'] as const;

/** Whether this version's etcdutl restore has the bump flags (asked of the binary). */
async function supportsBump(dist: EtcdDist): Promise<Support> {
  for (const flag of ['--bump-revision', '--mark-compacted']) {
    if (!(await helpMentions(dist, 'etcdutl', ['snapshot', 'restore'], flag))) {
      return { ok: false, reason: `etcdutl snapshot restore of etcd ${dist.version} has no ${flag}` };
    }
  }
  return { ok: true };
}

/** A restore's gate for its extra flags: none needs nothing; the bump flags ask etcdutl. */
export function supportsRestoreFlags(extraFlags: readonly string[]): (dist: EtcdDist) => Promise<Support> {
  return extraFlags.length === 0 ? async () => ({ ok: true }) : supportsBump;
}

/** Whether a tool's --help defines a flag: version gating by asking the binary, not a table. */
export function helpMentions(
  dist: EtcdDist,
  tool: 'etcdctl' | 'etcdutl',
  command: string[],
  flag: string,
  api: 2 | 3 = 3,
): Promise<boolean> {
  return toolDefines(tool === 'etcdctl' ? dist.etcdctl : dist.etcdutl, command, flag, api);
}
