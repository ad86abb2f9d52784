import { z } from 'zod';
import { K8S_STAGE_CHECKS, MODERN_K8S_CHECKS } from './k8s/check-names.ts';

/**
 * The one result model: results.json is validated by these schemas and every type here is inferred
 * from them (reports/SCHEMA.md documents the fields). Bump RESULTS_SCHEMA_VERSION on any change a
 * reader could notice.
 */
export const RESULTS_SCHEMA_VERSION = 3;

export interface SerializedError {
  readonly code?: string;
  readonly message: string;
  readonly details?: Readonly<Record<string, unknown>>;
  readonly cause?: SerializedError;
}
export const SerializedErrorSchema: z.ZodType<SerializedError> = z.lazy(() =>
  z.object({
    code: z.string().optional(),
    message: z.string(),
    details: z.record(z.string(), z.unknown()).optional(),
    cause: SerializedErrorSchema.optional(),
  }),
);

const evidence = z.record(z.string(), z.unknown());
const ms = z.number().nonnegative();

/**
 * Per check: did what we observed match what the scenario expected? A harness failure is 'unknown';
 * 'unrecorded': nothing is recorded to judge it by (reported as observed, fails no run).
 */
export const CHECK_VERDICTS = ['as-expected', 'unexpected', 'unknown', 'unrecorded'] as const;
export type CheckVerdict = (typeof CHECK_VERDICTS)[number];
/** Per scenario: worst of its checks; 'not-applicable' when this etcd cannot run the strategy. */
export type ScenarioVerdict = CheckVerdict | 'not-applicable';

export const CheckResultSchema = z.object({
  id: z.string(),
  title: z.string(),
  /** Where the scenario file keeps this check's expectation, e.g. ["components", "informer"]. */
  expectPath: z.array(z.string()),
  expected: z.string(),
  /** 'unknown' when the check could not be made (then `error` says why). */
  observed: z.string(),
  verdict: z.enum(CHECK_VERDICTS),
  /** Where the expectation comes from, as one line. */
  source: z.string().min(1),
  evidence: evidence.optional(),
  error: SerializedErrorSchema.optional(),
});
export type CheckResult = z.infer<typeof CheckResultSchema>;

/**
 * "Is this procedure safe?": safe when every seeded API is back exactly, all members agree, nothing
 * written after the backup shows, and components recover without a restart; otherwise the reasons.
 */
export const GRADES = ['safe', 'unsafe', 'unknown', 'not-applicable'] as const;
export const ProcedureGradeSchema = z.object({
  grade: z.enum(GRADES),
  /** What it is not, e.g. "data loss (v3: 270 of 270 keys)", "needs component restart (informer)". */
  reasons: z.array(z.string()),
});
export type ProcedureGrade = z.infer<typeof ProcedureGradeSchema>;

export const StepResultSchema = z.object({
  title: z.string(),
  /** The drill phase the step ran in. */
  phase: z.string(),
  /** Milliseconds since the scenario started. */
  startMs: ms,
  durationMs: ms,
  ok: z.boolean(),
  error: SerializedErrorSchema.optional(),
});
export type StepResult = z.infer<typeof StepResultSchema>;

export const FaultRecordSchema = z.object({
  fault: z.string(),
  /** 'after <phase>' or 'during <phase>'. */
  at: z.string(),
  description: z.string(),
  injectedAtMs: ms,
  healedAtMs: ms.optional(),
  evidence: evidence.optional(),
  /** What the cluster said just before the injection ("etcd1 leader, etcd2 up, etcd3 down"). */
  healthBefore: z.string().optional(),
  /** Each change in what the cluster said while the fault was active. */
  timeline: z.array(z.object({ atMs: ms, health: z.string() })).optional(),
  /** What the cluster said after the heal (given a while to be up again if it was up before). */
  healthAfter: z.string().optional(),
});
export type FaultRecord = z.infer<typeof FaultRecordSchema>;

export const MembershipViewSchema = z.object({
  clusterId: z.string().optional(),
  members: z.array(z.object({ name: z.string(), id: z.string(), peerUrls: z.array(z.string()) })),
});
export type MembershipView = z.infer<typeof MembershipViewSchema>;

/** A key set as a count and a hash of its sorted key=value pairs (the keys themselves stay in etcd). */
export const KeysetSummarySchema = z.object({ count: z.number().int().nonnegative(), sha256: z.string() });
export type KeysetSummary = z.infer<typeof KeysetSummarySchema>;

export const DATA_OUTCOMES = ['restored', 'lost', 'partial', 'post-backup', 'mismatch', 'divergent'] as const;
export type DataOutcome = (typeof DATA_OUTCOMES)[number];

/** What one member serves of one API, against the backup point (or the cluster before the disaster). */
export const MemberDataSchema = z.object({
  outcome: z.enum(DATA_OUTCOMES),
  /** Present when the procedure keeps surviving data: the outcome then compares with the pre-disaster read. */
  against: z.literal('pre-disaster').optional(),
  keys: KeysetSummarySchema,
  expected: z.number().int().nonnegative(),
  same: z.number().int().nonnegative(),
  missing: z.number().int().nonnegative(),
  extra: z.number().int().nonnegative(),
  changed: z.number().int().nonnegative(),
  firstMissing: z.array(z.string()),
  firstExtra: z.array(z.string()),
  firstChanged: z.array(z.string()),
  /** Post-backup writes this member shows (the data did not come from the backup alone). */
  postBackupSeen: z.array(z.string()),
  /** RPO: post-backup writes it lacks. */
  lostAfterBackup: z.number().int().nonnegative(),
  firstLost: z.array(z.string()),
});
export type MemberData = z.infer<typeof MemberDataSchema>;

export const HealthSchema = z.object({
  up: z.boolean(),
  leaders: z.number().int().nonnegative(),
  members: z.array(
    z.object({
      name: z.string(),
      running: z.boolean(),
      healthy: z.boolean(),
      /** false: running, but no answer at all from its /health or status: not etcd's word. */
      answered: z.boolean().optional(),
      reason: z.string().optional(),
    }),
  ),
});

const backupPoint = z.object({
  v2: KeysetSummarySchema,
  v3: KeysetSummarySchema,
  /** Under write load, the snapshot's own revision (v3 read there); else the harness's read. */
  revision: z.number(),
  /** Under write load: the revision of the harness's read before the backup. */
  readRevision: z.number().optional(),
  membership: MembershipViewSchema,
  /** v3 keys per Kubernetes resource type (/registry/<type>/). */
  byType: z.record(z.string(), z.number()),
});

const restored = z.object({
  /** Every running member read on its own: members that disagree are a finding. */
  members: z.array(z.object({ name: z.string(), v2: MemberDataSchema, v3: MemberDataSchema })),
  membership: MembershipViewSchema,
  health: HealthSchema,
  revision: z.number(),
  byType: z.record(z.string(), z.number()),
});

/** How a step that etcd can refuse ended: completed, or etcd's own failure, quoted. */
const stepOutcome = z.object({
  outcome: z.string(),
  step: z.string().optional(),
  /** etcd's own words (its first error line), or "hung after N s". */
  quote: z.string().optional(),
});

export const PROBE_OUTCOME_VALUES = ['recovered', 'needs-restart', 'not-recovered', 'unknown'] as const;
export const ProbeReportSchema = z.object({
  probe: z.string(),
  outcome: z.enum(PROBE_OUTCOME_VALUES),
  /** From the first look after the restore until the running probe agreed with etcd. */
  recoverMs: ms.optional(),
  /** With a restart: from the restart until the new probe agreed. */
  restartRecoverMs: ms.optional(),
  maxRevisionBefore: z.number().nonnegative(),
  evidence,
  afterRestart: evidence.optional(),
  warnings: z.array(z.string()).readonly().optional(),
  /** The harness error that left the outcome unknown. */
  error: z.string().optional(),
});

const modeResult = z.object({
  /** Meaningless when `error` is set: then the mode is unknown. */
  ok: z.boolean(),
  ms,
  evidence,
  error: z.string().optional(),
});
export type ProbeReport = z.infer<typeof ProbeReportSchema>;
export type ModeResult = z.infer<typeof modeResult>;

/** A Kubernetes stage's report (1.20's control plane, 1.36's storage layer): its checks in two modes. */
function kubeReportSchema<T extends readonly [string, ...string[]]>(checks: T) {
  return z.object({
    version: z.string(),
    origin: z.string(),
    /** Start to ready, before the seed. */
    startMs: ms,
    /** Restart after the restore (1.20: all three components; 1.36: the apiserver), until ready. */
    restartMs: ms,
    /**
     * kind: after the restore, before the kept-running checks, how long the cluster took to be ready
     * again by itself (kubelet restarts what fails its probes); or why it was not, within the bound.
     */
    selfRecovery: z.object({ readyMs: ms.optional(), error: z.string().optional() }).optional(),
    checks: z
      .array(
        z.object({
          check: z.enum(checks),
          /**
           * recovered: fine kept running; needs-restart: only after the restart; not-recovered: neither;
           * unknown: a mode that mattered could not be judged (`error` says why).
           */
          outcome: z.enum(PROBE_OUTCOME_VALUES),
          kept: modeResult,
          restarted: modeResult,
          error: z.string().optional(),
        }),
      )
      .readonly(),
    /** Components that exited on their own and were restarted by the supervisor. */
    exits: z
      .array(z.object({ component: z.string(), at: z.string(), how: z.string(), reason: z.string() }))
      .readonly(),
  });
}

export const K8sReportSchema = kubeReportSchema(K8S_STAGE_CHECKS).extend({
  /** The components' leader election (seconds): shipped 15/10/2 unless --k8s-short-leases. Absent in older reports. */
  leaderElection: z
    .object({ leaseSeconds: z.number(), renewSeconds: z.number(), retrySeconds: z.number() })
    .optional(),
});

export type K8sReport = z.infer<typeof K8sReportSchema>;

/** Kubernetes 1.36's storage layer (apiextensions-apiserver) over the drilled etcd: --k8s 1.36. */
export const ModernK8sReportSchema = kubeReportSchema(MODERN_K8S_CHECKS);
export type ModernK8sReport = z.infer<typeof ModernK8sReportSchema>;

export type K8sCheckReport = K8sReport['checks'][number];

export const IntegrityViewSchema = z.object({
  revision: z.number(),
  hashes: z.array(z.object({ member: z.string(), hash: z.number(), compactRevision: z.number().optional() })),
  alarms: z.array(z.string()),
  outcome: z.string(),
  evidence: evidence.optional(),
});

/** One write load (fault write-load) judged against the restored cluster (checks/acknowledged-writes.ts). */
export const WriteLoadViewSchema = z.object({
  /** The fault's placement, e.g. "during backup". */
  at: z.string(),
  prefix: z.string(),
  writers: z.number().int().positive(),
  opsPerSec: z.number().positive(),
  durationMs: ms,
  attempted: z.number().int().nonnegative(),
  acknowledged: z.number().int().nonnegative(),
  /** Writes refused or failed (not acknowledged), by first error line. */
  errors: z.number().int().nonnegative(),
  errorKinds: z.record(z.string(), z.number()),
  firstAckedRevision: z.number().optional(),
  lastAckedRevision: z.number().optional(),
  /** The revision the backup holds; absent for a load after the disaster (every write must stay). */
  snapshotRevision: z.number().optional(),
  /** Acknowledged writes the restored cluster must hold (at or below the snapshot revision, or all). */
  expected: z.number().int().nonnegative(),
  /** Of those, absent or with another value: a finding. */
  missing: z.number().int().nonnegative(),
  firstMissing: z.array(z.string()),
  /** Acknowledged above the snapshot revision: no restore of that snapshot can hold them. */
  beyondBackup: z.number().int().nonnegative(),
  /** Of those, present after the restore (the data did not come from the snapshot alone). */
  beyondBackupSeen: z.number().int().nonnegative(),
  firstBeyondBackupSeen: z.array(z.string()),
  /** RPO: acknowledged writes the restore lost by design, and the time they span. */
  rpo: z.object({
    writes: z.number().int().nonnegative(),
    seconds: z.number().nonnegative(),
    /** Where the span starts: the load's write at (or nearest below) the snapshot revision, or the load's start. */
    from: z.string(),
  }),
});
export type WriteLoadView = z.infer<typeof WriteLoadViewSchema>;
/** A member whose data dir was damaged while stopped, then started (faults/disk-corruption.ts). */
export const MemberCorruptionSchema = z.object({
  member: z.string(),
  /** flip-db: 4 bytes of one stored value overwritten in member/snap/db; truncate-wal: newest WAL cut. */
  how: z.string(),
  damage: evidence,
  /** Started with --experimental-initial-corrupt-check. */
  corruptCheck: z.boolean(),
  /** Still running once the cluster was waited for (a member that died by itself: false). */
  running: z.boolean(),
  healthy: z.boolean(),
  /** etcd's last words when it died (a panic, else its first fatal/error line). */
  quote: z.string().optional(),
  /** What etcd logged about its data on that start (WAL repair, corruption check). */
  etcdSaid: z.array(z.string()),
  /** hashkv of every running member at one revision, and the alarms, once it started. */
  hashes: z.array(z.object({ member: z.string(), hash: z.number() })).optional(),
  alarms: z.array(z.string()).optional(),
});
export type MemberCorruption = z.infer<typeof MemberCorruptionSchema>;

/** The restored cluster under a quota (faults/nospace.ts restore-quota): its alarms and one write. */
export const RestoredQuotaSchema = z.object({
  /** --quota-backend-bytes of the restored members; absent: etcd's default. */
  quotaBytes: z.number().optional(),
  running: z.number().int().nonnegative(),
  alarms: z.array(z.string()),
  write: z.enum(['accepted', 'refused', 'not tried']),
  /** etcd's words when it refused the write. */
  quote: z.string().optional(),
});
export type RestoredQuota = z.infer<typeof RestoredQuotaSchema>;

/** `etcdutl check v2store` on one member's data dir: etcd's verdict and its words (faults/v2-readiness.ts). */
const V2StoreCheckSchema = z.object({
  member: z.string(),
  /** found: "detected custom content"; none: "No custom content found"; error: the tool failed otherwise. */
  result: z.enum(['found', 'none', 'error']),
  words: z.string(),
});
/** One start of every member with some flags: all up, or etcd's own refusal quoted. */
const V2StartSchema = z.object({
  flags: z.array(z.string()),
  started: z.boolean(),
  quote: z.string().optional(),
});
/** One try of the v2 API: its outcome word and what etcd answered. */
const V2CallSchema = z.object({ outcome: z.string(), words: z.string() });
/** The restored cluster held up against etcd 3.6's v2 removal (faults/v2-readiness.ts). */
export const V2ReadinessSchema = z.object({
  /** v2 keys and directories the v2 API listed on the restored cluster before the drill. */
  v2Keys: z.number().int().nonnegative(),
  /** Members were restarted once with --snapshot-count=1 first, so a v2 snapshot file holds the data. */
  v2Snapshot: z.boolean(),
  checkBefore: z.array(V2StoreCheckSchema),
  levels: z.array(
    z.object({
      level: z.string(),
      starts: z.array(V2StartSchema),
      v2Read: V2CallSchema.optional(),
      v2Write: V2CallSchema.optional(),
      /** `etcdutl check v2store` on a data dir restored from a v3 snapshot taken at this level. */
      snapshotRestore: V2StoreCheckSchema.optional(),
      /** Of the v2 entries listed before the drill, how many a restart with the deployment's own flags lists with the same value. */
      keysAfterRestart: z.number().int().nonnegative().optional(),
      errors: z.record(z.string(), z.string()).optional(),
    }),
  ),
  /** The upgrade guide's clean-up (--snapshot-count=1 without --enable-v2, twice restarted), then the check. */
  guideCleanup: z.array(V2StoreCheckSchema).optional(),
  /** The custom v2 keys deleted through the v2 API and a snapshot forced, then the check. */
  deleteCleanup: z.array(V2StoreCheckSchema).optional(),
  /** After that clean-up: a start with --v2-deprecation=write-only and without --enable-v2. */
  writeOnlyAfterCleanup: V2StartSchema.optional(),
  errors: z.record(z.string(), z.string()).optional(),
});
export type V2Readiness = z.infer<typeof V2ReadinessSchema>;

/** One runbook script's run (--runbook): its exit, and the last lines of its output (all of it in logs/). */
const RunbookScriptSchema = z.object({
  /** null: killed at --runbook-timeout. */
  exitCode: z.number().int().nullable(),
  hung: z.boolean(),
  durationMs: ms,
  tail: z.array(z.string()),
  /** Unit calls that failed on the harness's side (`<verb> <unit>: <error>`): the drill is unknown then. */
  serviceFaults: z.array(z.string()).optional(),
});

/** What the strategy saw on the way, for the membership checks and the report. */
export const StrategyNotesSchema = z
  .object({
    /** etcdutl/etcdctl `snapshot status` of the snapshot taken. */
    snapshot: evidence,
    restoreTool: z.string(),
    v2Backup: evidence,
    membersAfterFirstStart: z.array(
      z.object({ name: z.string(), id: z.string(), peerUrls: z.array(z.string()) }),
    ),
    /** The first restored member's peer URLs after its first start, and the one it should advertise. */
    peerUrlsAfterFirstStart: z.array(z.string()),
    advertisedPeerUrl: z.string(),
    /** Set when `member update` was needed for the next member to join. */
    peerUrlFixed: z.object({ from: z.array(z.string()), to: z.string() }),
    /** Per added member: tries of `member add` and etcd's refusals before it took. */
    /** With a control plane: how long its workload took to settle before the backup. */
    k8sSettleMs: ms,
    /** With a control plane: how long the objects created after the backup took to reconcile and settle. */
    k8sLateSettleMs: ms,
    /** A runbook's backup.sh and restore.sh. */
    runbookBackup: RunbookScriptSchema,
    runbookRestore: RunbookScriptSchema,
    memberAdds: z.record(
      z.string(),
      z.object({ attempts: z.number().int().positive(), waitMs: ms, refusals: z.array(z.string()) }),
    ),
  })
  .partial();
export type StrategyNotes = z.infer<typeof StrategyNotesSchema>;

/**
 * The raw observations every check grades: `report regrade` re-grades from these alone. A capture
 * that failed leaves its field out and names the error under `errors`.
 */
export const ObservationsSchema = z
  .object({
    seeded: z.object({ v2: z.number(), v3: z.number().optional(), k8sObjects: z.number().optional() }),
    /** Set when this etcd has no v2 API: why the v2 part (seeding, reads, writes, the v2 data check) did not run. */
    v2NotApplicable: z.string(),
    backupPoint,
    backup: stepOutcome.extend({
      sha256: z.string().optional(),
      bytes: z.number().optional(),
      revision: z.number().optional(),
    }),
    postBackupWrites: z.object({ v2: z.array(z.string()), v3: z.array(z.string()) }),
    beforeDisaster: z.object({ revision: z.number(), v2: KeysetSummarySchema, v3: KeysetSummarySchema }),
    snapshotBeforeRestore: evidence,
    restore: stepOutcome,
    restored,
    revisions: z.object({
      maxSeenBeforeDisaster: z.number(),
      firstSeenAfterDisaster: z.number(),
      /** false: compacted, so a watch resuming below the restored start is told to relist. */
      historyBelowStartReadable: z.boolean().optional(),
    }),
    integrity: IntegrityViewSchema,
    writeLoad: z.array(WriteLoadViewSchema),
    memberCorruption: MemberCorruptionSchema,
    restoredQuota: RestoredQuotaSchema,
    v2Readiness: V2ReadinessSchema,
    components: z.array(ProbeReportSchema),
    k8s: K8sReportSchema,
    k8sModern: ModernK8sReportSchema,
    strategy: StrategyNotesSchema,
    errors: z.record(z.string(), SerializedErrorSchema),
  })
  .partial();
export type Observations = z.infer<typeof ObservationsSchema>;

export const ScenarioResultSchema = z.object({
  scenarioId: z.string(),
  title: z.string(),
  strategy: z.string(),
  provider: z.string(),
  etcd: z.object({ version: z.string(), origin: z.string() }),
  /** A cross-version drill: the version whose tools restored the backup and which ran the restored cluster. */
  restoreEtcd: z.object({ version: z.string(), origin: z.string() }).optional(),
  clusterSize: z.number().int().positive(),
  /** HTTPS with client certificates on client and peer URLs. */
  tls: z.boolean(),
  /** Extensions that ran alongside the drill ('probes', 'k8s'). */
  extensions: z.array(z.string()),
  /** "Did etcd behave as recorded?": the worst of the checks' verdicts. */
  verdict: z.enum([...CHECK_VERDICTS, 'not-applicable']),
  /** "Is this procedure safe?" */
  grade: ProcedureGradeSchema,
  /** What the procedure claims to restore, when it narrows it (a runbook's `restores`): the grade holds only these. */
  restores: z.array(z.enum(['v2', 'v3'])).optional(),
  startedAt: z.string().datetime(),
  durationMs: ms,
  steps: z.array(StepResultSchema),
  faults: z.array(FaultRecordSchema),
  observations: ObservationsSchema,
  checks: z.array(CheckResultSchema),
  /** A harness error: present iff something the drill needed could not be done. */
  error: SerializedErrorSchema.optional(),
  notApplicable: z.string().optional(),
  /** With --keep: where the restored cluster still runs. */
  kept: z
    .object({
      endpoints: z.array(z.string()),
      workDir: z.string(),
      /** Client certificate flags for etcdctl when the cluster runs with TLS. */
      etcdctlFlags: z.array(z.string()).optional(),
    })
    .optional(),
});
export type ScenarioResult = z.infer<typeof ScenarioResultSchema>;

/** What the exit code follows: the regression verdicts (default) or the procedure grades. */
export const REQUIRE = ['expected', 'safe'] as const;
export type Require = (typeof REQUIRE)[number];

/** A slice of a matrix run with `matrix --shard i/n`; `report merge` joins the slices. */
export const ShardInfoSchema = z.object({
  /** 1-based. */
  index: z.number().int().positive(),
  total: z.number().int().positive(),
  /** Every cell (`<scenario>@<version>`) of the whole matrix, in the order an unsharded run runs them. */
  of: z.array(z.string()),
  /** The cells this shard ran (its slice of `of`). */
  cells: z.array(z.string()),
  /** How cells were dealt: by recorded durations (--durations) or round robin. */
  assignment: z.enum(['durations', 'round-robin']),
  /** What every shard of one matrix shares: a hash of its cells, provider, TLS, extensions, require and label. */
  matrix: z.string(),
  /** --run-label, when given (e.g. CI's pipeline id): shards of another pipeline are refused. */
  label: z.string().optional(),
});
export type ShardInfo = z.infer<typeof ShardInfoSchema>;

/** A run joined from shards by `report merge`. */
export const MergedInfoSchema = z.object({
  matrix: z.string(),
  label: z.string().optional(),
  /** The shard runs it was joined from. */
  from: z.array(z.object({ runId: z.string(), index: z.number().int().positive(), file: z.string() })),
  total: z.number().int().positive(),
  /** Cells of the matrix no shard brought (only with --allow-partial); they make the exit code 2. */
  missing: z.array(z.string()),
});
export type MergedInfo = z.infer<typeof MergedInfoSchema>;

export const RunResultSchema = z.object({
  schemaVersion: z.literal(RESULTS_SCHEMA_VERSION),
  runId: z.string(),
  tool: z.object({ name: z.literal('etcd-drill'), version: z.string() }),
  startedAt: z.string().datetime(),
  finishedAt: z.string().datetime(),
  require: z.enum(REQUIRE),
  /** 0, 1 or 2 (exitCodeFor), or 130 when interrupted. */
  exitCode: z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(130)]),
  results: z.array(ScenarioResultSchema),
  /** Present on a shard's results (matrix --shard). */
  shard: ShardInfoSchema.optional(),
  /** Present on a run joined from shards (report merge). */
  merged: MergedInfoSchema.optional(),
});
export type RunResult = z.infer<typeof RunResultSchema>;

/**
 * 2: something is unknown (a harness error); 1: a finding; 0: none. With require 'safe' a finding is
 * a procedure that is not safe; otherwise a verdict that differs from its expectation.
 */
export function exitCodeFor(results: readonly ScenarioResult[], require: Require = 'expected'): 0 | 1 | 2 {
  if (require === 'safe') {
    if (results.some((r) => r.grade.grade === 'unknown')) return 2;
    return results.some((r) => r.grade.grade === 'unsafe') ? 1 : 0;
  }
  if (results.some((r) => r.verdict === 'unknown')) return 2;
  return results.some((r) => r.verdict === 'unexpected') ? 1 : 0;
}

/**
 * A run's exit code, one rule for a finished run, a regraded one and a merge of shards: 130 when it
 * was interrupted (whatever its verdicts so far), 2 when cells it should have run are missing,
 * otherwise exitCodeFor.
 */
export function runExitCode(
  results: readonly ScenarioResult[],
  require: Require,
  o: { interrupted?: boolean; missingCells?: number } = {},
): RunResult['exitCode'] {
  if (o.interrupted) return 130;
  if ((o.missingCells ?? 0) > 0) return 2;
  return exitCodeFor(results, require);
}

/**
 * unknown > unexpected > as-expected: a scenario whose checks could not all run is not a finding yet.
 * Unrecorded checks neither pass nor fail it: as expected means every recorded one was; with none recorded, unrecorded.
 */
export function mergeVerdicts(checks: readonly Pick<CheckResult, 'verdict'>[]): CheckVerdict {
  if (checks.length === 0) return 'unknown';
  if (checks.some((c) => c.verdict === 'unknown')) return 'unknown';
  if (checks.some((c) => c.verdict === 'unexpected')) return 'unexpected';
  return checks.some((c) => c.verdict === 'as-expected') ? 'as-expected' : 'unrecorded';
}
