import { isAbort, oneLine } from '../errors.ts';
import type { Access } from '../etcd/api.ts';
import { answer, poll } from '../util/poll.ts';
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
  /** The kinds started, in order: a restart starts the same kind again. */
  readonly kinds: readonly ProbeKind[];
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
    kinds,
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

/** The last answered look, and the error when the last look had no answer (or none completed). */
interface Looks {
  readonly check: ProbeCheck | undefined;
  readonly error: unknown;
  readonly agrees: boolean;
  readonly ms: number;
}

/** Looks every 250 ms until the probe agrees with etcd or the bound runs out. */
async function untilAgrees(
  p: RunningProbe,
  a: Access,
  boundMs: number,
  signal?: AbortSignal,
): Promise<Looks> {
  let check: ProbeCheck | undefined;
  const r = await poll(
    async () => {
      const got = await answer(() => p.check(a), signal);
      if (got.ok) check = got.value;
      return got;
    },
    { boundMs, signal, what: 'waiting for a probe to agree with etcd', done: (g) => g.ok && g.value.ok },
  );
  return { check, error: r.last.ok ? undefined : r.last.error, agrees: r.done, ms: r.ms };
}

/** What the looks showed, for the report: the last answer, and the error of a look without one. */
function shown(l: Looks): Record<string, unknown> {
  return { ...(l.check?.evidence ?? {}), ...(l.error !== undefined ? { error: oneLine(l.error) } : {}) };
}

function unknown(probe: string, maxRevisionBefore: number, error: string, evidence: Looks, after?: Looks) {
  return {
    probe,
    outcome: 'unknown',
    error,
    maxRevisionBefore,
    evidence: shown(evidence),
    ...(after ? { afterRestart: shown(after) } : {}),
  } satisfies ProbeReport;
}

export interface AssessOptions {
  /** The run's abort signal: Ctrl-C ends the looks at once (the assessment then throws). */
  readonly signal?: AbortSignal;
}

/**
 * After the restore: does each running probe come to agree with etcd within the bound (recovered), or
 * only once restarted (needs-restart), or not even then (not-recovered)? When the harness cannot tell
 * (etcd unreadable at the end of a bound, a restart that fails) the outcome is 'unknown' with the error.
 */
export async function assessProbes(
  set: ProbeSet,
  a: Access,
  maxRevisionBefore: number,
  boundMs = RECOVERY_BOUND_MS,
  opts: AssessOptions = {},
): Promise<ProbeReport[]> {
  const one = async (k: ProbeKind): Promise<ProbeReport> => {
    const p = set.running.get(k.name) as RunningProbe;
    const first = await untilAgrees(p, a, boundMs, opts.signal);
    const warnings = first.check?.warnings ? { warnings: first.check.warnings } : {};
    if (first.agrees) {
      return {
        probe: k.name,
        outcome: 'recovered',
        recoverMs: first.ms,
        maxRevisionBefore,
        evidence: shown(first),
        ...warnings,
      };
    }
    // Without an answer at the end we do not know whether it needed the restart.
    if (first.error !== undefined) return unknown(k.name, maxRevisionBefore, oneLine(first.error), first);
    await p.stop();
    set.running.delete(k.name);
    let fresh: RunningProbe;
    try {
      fresh = await k.start(a, { instance: 'restarted' });
    } catch (err) {
      if (isAbort(err)) throw err;
      const error = `could not start again: ${oneLine(err)}`;
      return { ...unknown(k.name, maxRevisionBefore, error, first), afterRestart: { error } };
    }
    try {
      const again = await untilAgrees(fresh, a, boundMs, opts.signal);
      if (!again.agrees && again.error !== undefined)
        return unknown(k.name, maxRevisionBefore, oneLine(again.error), first, again);
      return {
        probe: k.name,
        outcome: again.agrees ? 'needs-restart' : 'not-recovered',
        ...(again.agrees ? { restartRecoverMs: again.ms } : {}),
        maxRevisionBefore,
        evidence: shown(first),
        afterRestart: shown(again),
        ...warnings,
      };
    } finally {
      await fresh.stop();
    }
  };
  return Promise.all(set.kinds.filter((k) => set.running.has(k.name)).map(one));
}
