import { type CheckDef, need } from '../engine/check.ts';
import { digest, type Keyset } from '../etcd/api.ts';
import type { AckedWrite, LoadLog } from '../observe/load.ts';
import type { WriteLoadView } from '../result.ts';
import type { ACKED_WRITES_OUTCOMES } from '../scenario.ts';
import { restoredReached } from './data.ts';

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
  const revs = log.acked.map((w) => w.revision);
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
    ...(revs.length ? { firstAckedRevision: Math.min(...revs), lastAckedRevision: Math.max(...revs) } : {}),
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
    seconds: Math.max(0, Math.max(...lost.map((w) => w.ackedAt)) - start) / 1000,
    from: snap
      ? `the load's write at revision ${snap.revision}`
      : 'the load start (no write of it in the backup)',
  };
}

function latest(ws: readonly AckedWrite[]): AckedWrite | undefined {
  return ws.reduce<AckedWrite | undefined>((a, w) => (!a || w.revision > a.revision ? w : a), undefined);
}

/** The worst of the loads: a lost write the backup held (or the cluster acknowledged after the restore) first. */
export function ackedWritesOutcome(views: readonly WriteLoadView[]): (typeof ACKED_WRITES_OUTCOMES)[number] {
  if (views.some((v) => v.missing > 0)) return 'lost acknowledged writes';
  if (views.some((v) => v.beyondBackupSeen > 0)) return 'writes after the backup seen';
  if (views.every((v) => v.acknowledged === 0)) return 'no write acknowledged';
  return 'as acknowledged';
}

const SOURCE =
  'etcd docs: `snapshot save` takes a "point-in-time snapshot of etcd database" ' +
  '(etcd.io/docs/v3.6/tutorials/how-to-save-database); clientv3 snapshot.Save: "saved snapshot is the ' +
  'point-in-time state of the selected node" (pkg.go.dev/go.etcd.io/etcd/client/v3/snapshot); ' +
  '`snapshot status` tells "which revision and hash a given snapshot contains" (op-guide/recovery); ' +
  'after the restore, "any completed operations are durable" (learning/api_guarantees)';

/**
 * Under write load: does the restore hold exactly the acknowledged writes its snapshot's revision
 * covers, and does the rebuilt cluster keep what it acknowledged? Also gives the RPO.
 */
export const ackedWritesCheck: CheckDef = {
  id: 'acknowledged-writes',
  title: 'acknowledged writes: every one at or below the snapshot revision restored, none above (RPO)',
  expectPath: ['acknowledgedWrites'],
  fallback: { outcome: 'as acknowledged', source: { kind: 'etcd-docs', ref: SOURCE } },
  applies: (i) =>
    restoredReached(i) && (i.observations.writeLoad !== undefined || !!i.observations.errors?.writeLoad),
  observe(i) {
    const views = need(i, 'writeLoad');
    const sum = (f: (v: WriteLoadView) => number) => views.reduce((n, v) => n + f(v), 0);
    return {
      observed: ackedWritesOutcome(views),
      evidence: {
        acknowledged: sum((v) => v.acknowledged),
        errors: sum((v) => v.errors),
        missing: sum((v) => v.missing),
        rpoWrites: sum((v) => v.rpo.writes),
        rpoSeconds: Math.max(0, ...views.map((v) => v.rpo.seconds)),
        loads: views,
      },
    };
  },
};
