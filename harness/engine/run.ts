import { CHECKS } from '../checks/index.ts';
import type { Provider } from '../cluster/types.ts';
import type { RunContext } from '../context.ts';
import { serializeError } from '../errors.ts';
import type { EtcdDist } from '../etcd/dist.ts';
import { etcdFlags, v2ApiFrom } from '../etcd/help.ts';
import { faultsFor } from '../faults/index.ts';
import { everyKey } from '../observe/cluster.ts';
import { expectationKey, versionKey } from '../pairs.ts';
import { mergeVerdicts, type ScenarioResult, type SerializedError } from '../result.ts';
import type { Scenario } from '../scenario.ts';
import { Scope } from '../scope.ts';
import { STRATEGIES } from '../strategies/index.ts';
import type { Strategy, Support } from '../strategies/types.ts';
import { ctlTlsFlags } from '../tls.ts';
import { gradeChecks } from './check.ts';
import type { DrillContext, DrillOptions } from './context.ts';
import type { Extension } from './extension.ts';
import type { Fault } from './fault.ts';
import { FaultLife } from './fault-life.ts';
import { procedureGrade } from './grade.ts';
import { PHASE_BODIES } from './phase-bodies.ts';
import { PHASES, type Phase } from './phases.ts';
import { createRecorder } from './recorder.ts';

export interface RunScenarioOptions extends DrillOptions {
  readonly scenario: Scenario;
  readonly dist: EtcdDist;
  /** Cross-version: restore with this version's tools and run the restored cluster on it. */
  readonly restoreDist?: EtcdDist | undefined;
  readonly provider: Provider;
  readonly ctx: RunContext;
  /** Probes, a control plane: they hook into the phases. */
  readonly extensions?: readonly Extension[];
  /** Test seam: the strategy registry. @default STRATEGIES */
  readonly strategies?: ReadonlyMap<string, Strategy>;
  /** What the drill's progress lines start with. @default the scenario id */
  readonly label?: string;
}

/** One drill: the phases in order, each with its faults and extension hooks; then the checks grade it. */
export async function runScenario(o: RunScenarioOptions): Promise<ScenarioResult> {
  const startedAt = new Date();
  const strategy = (o.strategies ?? STRATEGIES).get(o.scenario.strategy);
  const d = newDrill(o, strategy);
  let error: SerializedError | undefined;
  let kept: ScenarioResult['kept'];
  let healLater: FaultLife[] = [];
  try {
    const support: Support = strategy
      ? await pairSupport(strategy, o.dist, o.restoreDist)
      : { ok: false, reason: `unknown strategy ${o.scenario.strategy}` };
    if (!support.ok) return notApplicable(d, startedAt, support.reason);
    d.etcdFlags = await etcdFlags(o.dist);
    d.v2 = v2ApiFrom(o.dist.version, d.etcdFlags);
    if (!d.v2.ok) {
      d.obs.v2NotApplicable = d.v2.reason;
      d.log.progress(`v2 part not applicable: ${d.v2.reason}`);
    }
    const faults = faultsFor(o.scenario);
    const refused = faults.map((f) => f.supports?.(d)).find((s) => s && !s.ok);
    if (refused && !refused.ok) return notApplicable(d, startedAt, refused.reason);
    for (const phase of PHASES) {
      if (d.ended) break;
      o.ctx.signal.throwIfAborted();
      const healNow = healLater;
      healLater = [];
      await runPhase(d, phase, faults, healNow);
      if (d.ended) break; // etcd's own refusal ended the drill: nothing is placed after it
      for (const f of faults.filter((x) => 'after' in x.at && x.at.after === phase))
        healLater.push(await injected(new FaultLife(d, f)));
    }
    await healAll(d, healLater.splice(0));
    kept = keepIfAsked(d);
  } catch (err) {
    error = serializeError(err);
    d.log.warn(`scenario stopped by a harness error: ${error.message}`);
  } finally {
    // A fault still active when a harness error stopped the drill is healed before the cleanup.
    for (const cleanup of [() => healAll(d, healLater), () => d.scope[Symbol.asyncDispose]()]) {
      try {
        await cleanup();
      } catch (err) {
        error ??= serializeError(err);
      }
    }
  }
  return finish(d, startedAt, error, kept);
}

/** One version: the whole procedure on it; a pair: the backup steps on A and the restore steps on B. */
export async function pairSupport(s: Strategy, a: EtcdDist, b: EtcdDist | undefined): Promise<Support> {
  if (!b) return s.supports(a);
  const backup = await (s.supportsBackup ?? s.supports).call(s, a);
  if (!backup.ok) return { ok: false, reason: `backup with etcd ${a.version}: ${backup.reason}` };
  const restore = await (s.supportsRestore ?? s.supports).call(s, b);
  if (!restore.ok) return { ok: false, reason: `restore with etcd ${b.version}: ${restore.reason}` };
  return { ok: true };
}

function newDrill(o: RunScenarioOptions, strategy: Strategy | undefined): DrillContext {
  const extensions = o.extensions ?? [];
  const log = o.ctx.log.child({ scope: o.label ?? o.scenario.id });
  const steps: DrillContext['steps'] = [];
  const obs: DrillContext['obs'] = {};
  const t0 = Date.now();
  const keeps = extensions.flatMap((e) => (e.keep ? [e.keep] : []));
  const d: DrillContext = {
    scenario: o.scenario,
    dist: o.dist,
    ...(o.restoreDist ? { restoreDist: o.restoreDist } : {}),
    // Only read after supports() said yes, which needs a strategy.
    strategy: strategy as Strategy,
    provider: o.provider,
    run: o.ctx,
    log,
    options: o,
    scope: new Scope(),
    extensions,
    obs,
    steps,
    faults: [],
    t0,
    keep: keeps.length ? (k) => keeps.every((f) => f(k)) : everyKey,
    phase: 'start',
    v2: { ok: true },
    etcdFlags: new Set(),
    rec: createRecorder({ log, steps, t0, obs, phase: () => d.phase }),
  };
  return d;
}

/** `during` faults around the phase's body and hooks; the previous phase's `after` faults heal when it ends. */
async function runPhase(
  d: DrillContext,
  phase: Phase,
  faults: readonly Fault[],
  heal: FaultLife[],
): Promise<void> {
  d.phase = phase;
  d.options.onPhase?.(phase);
  const during = faults
    .filter((x) => 'during' in x.at && x.at.during === phase)
    .map((f) => new FaultLife(d, f));
  let failed = false;
  try {
    // Without a delay a fault is in place before the body starts; with one (even 0) it strikes while the body runs.
    for (const life of during) if (life.f.delayMs === undefined) await injected(life);
    const { body, close } = PHASE_BODIES[phase];
    await body?.(d);
    for (const e of d.extensions) {
      const hook = e.hooks[phase];
      if (hook && !d.ended) await hook(d);
    }
    if (!d.ended) await close?.(d);
  } catch (err) {
    failed = true;
    throw err;
  } finally {
    // The phase's own error stays the cause; a heal that fails after it is only logged.
    await healAll(d, [...during, ...heal], failed);
  }
}

/** Waits for the injection; a failed one fails the phase. */
async function injected(life: FaultLife): Promise<FaultLife> {
  await life.injected;
  if (life.failed !== undefined) throw life.failed;
  return life;
}

/** Heals every fault, even when one heal fails; throws their errors together unless `quiet`. */
async function healAll(d: DrillContext, lives: readonly FaultLife[], quiet = false): Promise<void> {
  const errors: unknown[] = [];
  for (const life of [...lives].reverse()) {
    try {
      await life.stop();
    } catch (err) {
      errors.push(err);
      d.log.warn(`could not inject or heal ${life.f.name}: ${(err as Error).message}`);
    }
  }
  if (errors.length && !quiet) throw new AggregateError(errors, `${errors.length} fault(s) failed`);
}

/** --keep: leave the restored cluster running, and say how to reach it. */
function keepIfAsked(d: DrillContext): ScenarioResult['kept'] {
  const cluster = d.cluster;
  if (!d.options.keep || d.ended || !cluster) return undefined;
  cluster.detach();
  return {
    endpoints: cluster.endpoints(),
    workDir: d.run.workDir,
    ...(cluster.pki ? { etcdctlFlags: ctlTlsFlags(cluster.pki) } : {}),
  };
}

function base(d: DrillContext, startedAt: Date) {
  return {
    scenarioId: d.scenario.id,
    title: d.scenario.title,
    strategy: d.scenario.strategy,
    provider: d.provider.name,
    etcd: { version: d.dist.version, origin: d.dist.origin },
    ...(d.restoreDist
      ? { restoreEtcd: { version: d.restoreDist.version, origin: d.restoreDist.origin } }
      : {}),
    clusterSize: d.scenario.cluster.size,
    tls: d.options.tls ?? d.scenario.cluster.tls,
    ...(d.strategy?.restores ? { restores: [...d.strategy.restores] } : {}),
    extensions: d.extensions.map((e) => e.name),
    startedAt: startedAt.toISOString(),
    durationMs: Date.now() - d.t0,
    steps: d.steps,
    faults: d.faults,
    observations: d.obs,
  };
}

function notApplicable(d: DrillContext, startedAt: Date, reason: string): ScenarioResult {
  const on = versionKey({ etcd: d.dist, restoreEtcd: d.restoreDist });
  d.log.progress(`not applicable on etcd ${on}: ${reason}`);
  return {
    ...base(d, startedAt),
    verdict: 'not-applicable',
    grade: { grade: 'not-applicable', reasons: [reason] },
    notApplicable: reason,
    checks: [],
  };
}

function finish(
  d: DrillContext,
  startedAt: Date,
  error: SerializedError | undefined,
  kept: ScenarioResult['kept'],
): ScenarioResult {
  const checks = gradeChecks(
    CHECKS,
    { observations: d.obs, extensions: d.extensions.map((e) => e.name), rebuild: d.strategy?.rebuild, error },
    d.scenario,
    expectationKey({ etcd: d.dist, restoreEtcd: d.restoreDist, provider: d.provider.name }),
  );
  return {
    ...base(d, startedAt),
    verdict: error ? 'unknown' : mergeVerdicts(checks),
    grade: procedureGrade(checks, {
      harnessError: error?.message,
      componentsChecked: d.extensions.some((e) => e.name === 'probes'),
      claims: d.strategy?.restores,
    }),
    checks,
    ...(error ? { error } : {}),
    ...(kept ? { kept } : {}),
  };
}
