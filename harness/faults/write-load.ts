import { z } from 'zod';
import { clusterOf } from '../engine/context.ts';
import { type Placement, placementText } from '../engine/fault.ts';
import { PHASES, type Phase } from '../engine/phases.ts';
import { loadPrefix, startWriteLoad } from '../observe/load.ts';
import { defineFault, type FaultBody } from './kind.ts';

/** The kind's own parameters. */
const PARAMS = {
  /** Concurrent writers, each with its own sequence of keys. */
  writers: z.number().int().min(1).max(32).default(4),
  /** Puts per second across all writers; a shared 2-core machine keeps up with a few hundred. */
  opsPerSec: z.number().positive().max(1000).default(50),
};
export type WriteLoadSpec = { writers: number; opsPerSec: number; at: Placement };

/** The phase the load writes in: a `during` phase, or the one after an `after` placement (it heals when that ends). */
function phaseOf(at: Placement): Phase {
  if ('during' in at) return at.during;
  return PHASES[PHASES.indexOf(at.after) + 1] ?? at.after;
}

/**
 * N writers at R ops/s against the cluster's v3 API, under /etcd-drill/load/<phase>/: each
 * acknowledged write is logged with the revision etcd gave it, so the restore can be judged write by
 * write against the snapshot's revision (checks/acknowledged-writes.ts). Healing stops the writers.
 */
export function buildWriteLoad(spec: WriteLoadSpec): FaultBody {
  return {
    async inject(d) {
      const cluster = clusterOf(d);
      const phase = phaseOf(spec.at);
      const n = d.loads?.length ?? 0;
      const prefix = `${loadPrefix(phase)}l${n}/`;
      // Every member's endpoint, running or not: a load across the rebuild reaches members as they return.
      const load = startWriteLoad(
        cluster.access(cluster.members),
        { writers: spec.writers, opsPerSec: spec.opsPerSec, prefix },
        d.run.signal,
      );
      d.scope.defer(async () => void (await load.stop()));
      d.loads = [...(d.loads ?? []), { at: placementText(spec.at), phase, load }];
      return {
        description: `write load: ${spec.writers} writers at ${spec.opsPerSec} ops/s under ${prefix}`,
        evidence: { prefix, writers: spec.writers, opsPerSec: spec.opsPerSec },
        heal: async () => {
          const log = await load.stop();
          d.log.progress(
            `write load under ${prefix}: ${log.acked.length} acknowledged, ${log.errors} refused or failed of ${log.attempted}`,
          );
        },
      };
    },
  };
}

export const writeLoad = defineFault({
  kind: 'write-load',
  summary:
    'N writers at R ops/s on the v3 API; each acknowledged revision logged, judged against the backup (RPO)',
  params: PARAMS,
  defaultAt: { during: 'backup' },
  providers: { process: true, container: true },
  build: buildWriteLoad,
});
