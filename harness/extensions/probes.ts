import { clusterOf } from '../engine/context.ts';
import type { Extension } from '../engine/extension.ts';
import { observeInto } from '../engine/phase-bodies.ts';
import { writeAfterRestore } from '../observe/writes.ts';
import { assessProbes, PROBE_NAMES, type ProbeSet, startProbes } from '../probes/index.ts';

/**
 * The component probes: real etcd clients that start before the backup and live through the
 * disaster and the restore, as a cluster's components do; after the restore each is judged on
 * whether it comes to agree with etcd by itself, only after a restart, or never.
 */
export function probesExtension(opts: { boundMs?: number } = {}): Extension {
  let set: ProbeSet | undefined;
  return {
    name: 'probes',
    hooks: {
      async seed(d) {
        const a = clusterOf(d).access();
        // Never restarted by the drill: they live through it all, as components do.
        const started = await d.rec.step(`start component probes (${PROBE_NAMES.join(', ')})`, () =>
          startProbes(a),
        );
        set = started;
        d.scope.defer(() => started.stop()); // before the cluster's disposal
      },
      async disaster() {
        // After the kills: an answer from the old cluster must not count as the restored one's.
        set?.markDisaster();
      },
      async restored(d) {
        const running = set;
        const revs = d.obs.revisions;
        if (!running || !revs || !d.restored) return;
        const seen = running.revisionsSeen();
        // The first revision a probe saw after the disaster is the restored cluster's start.
        d.obs.revisions = {
          maxSeenBeforeDisaster: Math.max(seen.maxBefore, revs.maxSeenBeforeDisaster),
          firstSeenAfterDisaster: seen.minAfter ?? revs.firstSeenAfterDisaster,
        };
        const a = clusterOf(d).access();
        // With a control plane its own writes (leases, events) play this part.
        if (d.extensions.every((e) => e.rawV3Writes !== false)) {
          const keys = d.restored.v3;
          await d.rec.step('write after the restore (a new object, a change, a deletion)', () =>
            writeAfterRestore(a, keys),
          );
        }
        await observeInto(
          d,
          'components',
          'components: does each probe agree with etcd (restarted if not)?',
          () => assessProbes(running, a, seen.maxBefore, opts.boundMs, { signal: d.run.signal }),
        );
      },
      // Judged at `restored`: stopped once the drill's own checks are done, so a step placed after
      // assess (v2-readiness stops the members ~20 times) does not wait on their watches at every stop.
      async assess() {
        await set?.stop();
      },
    },
  };
}
