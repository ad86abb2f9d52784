import { setTimeout as sleep } from 'node:timers/promises';
import type { Access } from '../etcd/api.ts';
import { election } from './election.ts';
import { informer } from './informer.ts';
import { leaseHolder } from './lease-holder.ts';
import { leaseLock } from './lease-lock.ts';
import { occWriter } from './occ-writer.ts';
import type { ProbeCheck, ProbeKind, ProbeReport, RunningProbe } from './types.ts';

export { PROBE_NAMES, PROBE_OUTCOMES, PROBE_PREFIX, type ProbeOutcome, type ProbeReport } from './types.ts';

export const PROBES: readonly ProbeKind[] = [informer, leaseLock, election, occWriter, leaseHolder];

/** How long a probe gets to agree with etcd, once without and once after a restart. */
export const RECOVERY_BOUND_MS = 10_000;

export interface ProbeSet {
  readonly running: Map<string, RunningProbe>;
  /** Call as the disaster starts: revisions seen from then on are compared with those seen before. */
  markDisaster(): void;
  /** Highest revision any probe saw before the mark, lowest any saw after it. */
  revisionsSeen(): { maxBefore: number; minAfter: number | undefined };
  stop(): Promise<void>;
}

/** Starts every probe against a cluster; if one cannot start, the others are stopped again. */
export async function startProbes(a: Access, kinds: readonly ProbeKind[] = PROBES): Promise<ProbeSet> {
  const running = new Map<string, RunningProbe>();
  const stop = async () => {
    const all = [...running.values()];
    running.clear();
    await Promise.allSettled(all.map((p) => p.stop()));
  };
  try {
    for (const k of kinds) running.set(k.name, await k.start(a, { instance: 'first' }));
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    running,
    markDisaster() {
      for (const p of running.values()) p.revisions.mark();
    },
    revisionsSeen() {
      const marks = [...running.values()].map((p) => p.revisions);
      const after = marks.map((m) => m.minAfterMark).filter((r): r is number => r !== undefined);
      return {
        maxBefore: Math.max(0, ...marks.map((m) => m.maxAtMark)),
        minAfter: after.length ? Math.min(...after) : undefined,
      };
    },
    stop,
  };
}

/** Looks every 250 ms until the probe agrees with etcd or the bound runs out. */
async function untilAgrees(
  p: RunningProbe,
  a: Access,
  boundMs: number,
): Promise<{ check: ProbeCheck; ms: number }> {
  const t0 = Date.now();
  let last: ProbeCheck = { ok: false, evidence: { error: 'no look completed' } };
  for (;;) {
    try {
      last = await p.check(a);
    } catch (err) {
      last = {
        ok: false,
        evidence: { ...last.evidence, error: err instanceof Error ? err.message : String(err) },
      };
    }
    const ms = Date.now() - t0;
    if (last.ok || ms >= boundMs) return { check: last, ms };
    await sleep(250);
  }
}

/**
 * After the restore: does each running probe come to agree with etcd within the bound (recovered), or
 * only once restarted (needs-restart), or not even then (not-recovered)?
 */
export async function assessProbes(
  set: ProbeSet,
  a: Access,
  maxRevisionBefore: number,
  boundMs = RECOVERY_BOUND_MS,
): Promise<ProbeReport[]> {
  return Promise.all(
    PROBES.filter((k) => set.running.has(k.name)).map(async (k): Promise<ProbeReport> => {
      const p = set.running.get(k.name) as RunningProbe;
      const first = await untilAgrees(p, a, boundMs);
      if (first.check.ok) {
        return {
          probe: k.name,
          outcome: 'recovered',
          recoverMs: first.ms,
          maxRevisionBefore,
          evidence: first.check.evidence,
          ...(first.check.warnings ? { warnings: first.check.warnings } : {}),
        };
      }
      await p.stop();
      set.running.delete(k.name);
      let fresh: RunningProbe | undefined;
      try {
        fresh = await k.start(a, { instance: 'restarted' });
        const again = await untilAgrees(fresh, a, boundMs);
        return {
          probe: k.name,
          outcome: again.check.ok ? 'needs-restart' : 'not-recovered',
          ...(again.check.ok ? { restartRecoverMs: again.ms } : {}),
          maxRevisionBefore,
          evidence: first.check.evidence,
          afterRestart: again.check.evidence,
          ...(first.check.warnings ? { warnings: first.check.warnings } : {}),
        };
      } catch (err) {
        return {
          probe: k.name,
          outcome: 'not-recovered',
          maxRevisionBefore,
          evidence: first.check.evidence,
          afterRestart: {
            error: `could not start again: ${err instanceof Error ? err.message : String(err)}`,
          },
        };
      } finally {
        await fresh?.stop();
      }
    }),
  );
}
