import type { Cluster } from '../cluster/types.ts';
import { HarnessError } from '../errors.ts';
import { digest, dumpV3, type Keyset } from '../etcd/api.ts';
import type { WriteLoadView } from '../result.ts';
import { type AckedWrite, AFTER_DISASTER, type LoadLog, type RunningLoad } from './load.ts';

const FIRST = 10;

/** A write the restored cluster holds with the value that was acknowledged (keys are never rewritten). */
const held = (r: Keyset) => (w: AckedWrite) => r.get(w.key) === digest(w.value);

/**
 * One load's acknowledged writes against the restored cluster `r`. Before the disaster the snapshot's
 * revision splits them: at or below it the restore must hold them, above it no restore of that
 * snapshot can (the RPO). After the disaster (`snapshotRevision` undefined) every one must stay.
 */
export function judgeLoad(
  log: LoadLog,
  at: string,
  r: Keyset,
  snapshotRevision: number | undefined,
): WriteLoadView {
  const inBackup = (w: AckedWrite) => snapshotRevision === undefined || w.revision <= snapshotRevision;
  const expected = log.acked.filter(inBackup);
  const beyond = log.acked.filter((w) => !inBackup(w));
  const missing = expected.filter((w) => !held(r)(w));
  const seen = beyond.filter(held(r));
  return {
    at,
    prefix: log.spec.prefix,
    writers: log.spec.writers,
    opsPerSec: log.spec.opsPerSec,
    durationMs: (log.stoppedAt ?? Date.now()) - log.startedAt,
    attempted: log.attempted,
    acknowledged: log.acked.length,
    errors: log.errors,
    errorKinds: { ...log.errorKinds },
    ...(log.acked.length
      ? {
          firstAckedRevision: log.acked.reduce((m, w) => Math.min(m, w.revision), Number.POSITIVE_INFINITY),
          lastAckedRevision: log.acked.reduce((m, w) => Math.max(m, w.revision), 0),
        }
      : {}),
    ...(snapshotRevision !== undefined ? { snapshotRevision } : {}),
    expected: expected.length,
    missing: missing.length,
    firstMissing: missing.slice(0, FIRST).map((w) => `${w.key}@${w.revision}`),
    beyondBackup: beyond.length,
    beyondBackupSeen: seen.length,
    firstBeyondBackupSeen: seen.slice(0, FIRST).map((w) => `${w.key}@${w.revision}`),
    rpo: rpoOf(
      log,
      expected,
      beyond.filter((w) => !held(r)(w)),
    ),
  };
}

/** Lost writes and the time from the snapshot's last write (as the load saw it) to the last one lost. */
function rpoOf(log: LoadLog, kept: readonly AckedWrite[], lost: readonly AckedWrite[]): WriteLoadView['rpo'] {
  const last = latest(lost);
  if (!last) return { writes: 0, seconds: 0, from: 'nothing lost' };
  const snap = latest(kept);
  const start = snap?.ackedAt ?? log.startedAt;
  return {
    writes: lost.length,
    seconds: Math.max(0, lost.reduce((t, w) => Math.max(t, w.ackedAt), 0) - start) / 1000,
    from: snap
      ? `the load's write at revision ${snap.revision}`
      : 'the load start (no write of it in the backup)',
  };
}

function latest(ws: readonly AckedWrite[]): AckedWrite | undefined {
  return ws.reduce<AckedWrite | undefined>((a, w) => (!a || w.revision > a.revision ? w : a), undefined);
}

/**
 * Each stopped load's acknowledged writes against the restored cluster (a linearizable read of its
 * prefix). Before the disaster they are judged against the backup's revision; a backup that records
 * none cannot say which writes it should hold, and the observation is lost (the check says unknown).
 */
export async function ackedLoads(
  cluster: Cluster,
  loads: readonly { readonly at: string; readonly phase: string; readonly load: RunningLoad }[],
  snapshotRevision: number | undefined,
): Promise<WriteLoadView[]> {
  const views: WriteLoadView[] = [];
  for (const { at, phase, load } of loads.filter((l) => l.load.log.stoppedAt !== undefined)) {
    const after = AFTER_DISASTER.includes(phase);
    if (!after && snapshotRevision === undefined)
      throw new HarnessError(
        'STRATEGY',
        `the backup records no revision: which writes of the load ${at} it holds cannot be told`,
      );
    const { keys } = await dumpV3(cluster.access(), { prefix: load.log.spec.prefix });
    views.push(judgeLoad(load.log, at, keys, after ? undefined : snapshotRevision));
  }
  return views;
}
