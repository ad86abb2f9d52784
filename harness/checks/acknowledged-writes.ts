import { type CheckDef, need } from '../engine/check.ts';
import type { WriteLoadView } from '../result.ts';
import type { ACKED_WRITES_OUTCOMES } from '../scenario.ts';
import { restoredReached } from './data.ts';

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
