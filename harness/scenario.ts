import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { MEMBER_CORRUPTION_OUTCOMES, RESTORED_QUOTA_OUTCOMES } from './checks/fault-outcomes.ts';
import { INTEGRITY_OUTCOMES } from './checks/integrity.ts';
import { V2_LEVELS, V2_OUTCOMES } from './checks/v2-readiness-outcomes.ts';
import { HarnessError } from './errors.ts';
import { type Expectation, expectationSchema, NOT_RECORDED } from './expectations.ts';
import { FaultSchema } from './faults/index.ts';
import { K8S_STAGE_CHECKS, MODERN_K8S_CHECKS, MODERN_K8S_KEY } from './k8s/check-names.ts';
import { fromRoot } from './paths.ts';
import { PROBE_NAMES, PROBE_OUTCOMES } from './probes/types.ts';
import { DATA_OUTCOMES } from './result.ts';

/**
 * What a restore did to one API's data: exactly the backup point (restored), nothing (lost), some of
 * it and nothing newer (partial), data written after the backup (post-backup: not from the backup
 * alone, the write-up's "from the WAL"), something else (mismatch), or members that serve different
 * data (divergent).
 */
export { DATA_OUTCOMES, type DataOutcome } from './result.ts';
export const MEMBERSHIP_OUTCOMES = ['healthy', 'degraded'] as const;
export type MembershipOutcome = (typeof MEMBERSHIP_OUTCOMES)[number];
/** Did the backup command complete, fail (etcd's non-zero exit), or hang until the harness's bound killed it? */
export const BACKUP_OUTCOMES = ['completed', 'failed', 'hung'] as const;
/** Did etcd accept the backup for restoring, or refuse it with its own error? */
export const RESTORE_OUTCOMES = [
  'completed',
  'refused: corrupt snapshot',
  /** A restored member exited by itself on its first start (a panic or fatal line, quoted). */
  'failed: etcd exits on start',
  /** The restored members never turn healthy because an alarm is raised (e.g. NOSPACE, from the snapshot). */
  'failed: alarm raised',
  /** A runbook's restore.sh exited non-zero (its last lines quoted). */
  'failed',
  /** A runbook's restore.sh ran past --runbook-timeout and was killed. */
  'hung',
] as const;
/** Did the revision clients see go below one they had already seen? */
export const REVISION_OUTCOMES = ['forward', 'backwards'] as const;
/** Outcomes of the fault checks live with them. */
/** Integrity outcomes live with the check (checks/integrity.ts). */
export { INTEGRITY_OUTCOMES, MEMBER_CORRUPTION_OUTCOMES, RESTORED_QUOTA_OUTCOMES };

const v2Level = z
  .object({
    start: expectationSchema(V2_OUTCOMES.start),
    read: expectationSchema(V2_OUTCOMES.read),
    write: expectationSchema(V2_OUTCOMES.write),
    snapshot: expectationSchema(V2_OUTCOMES.snapshot),
    restart: expectationSchema(V2_OUTCOMES.restart),
  })
  .partial()
  .strict();
const v2ReadinessExpect = z
  .object({
    check: expectationSchema(V2_OUTCOMES.check),
    checkSees: expectationSchema(V2_OUTCOMES.checkSees),
    ...Object.fromEntries(V2_LEVELS.map((l) => [l, v2Level])),
    guideCleanup: expectationSchema(V2_OUTCOMES.cleanup),
    deleteCleanup: expectationSchema(V2_OUTCOMES.cleanup),
    afterCleanup: expectationSchema(V2_OUTCOMES.afterCleanup),
  })
  .partial()
  .strict();
/** The first restored member's peer URL after its first start. */
export const PEER_URL_OUTCOMES = ['advertised', 'localhost', 'other'] as const;
/** Member IDs and the cluster ID after the restore, against before. */
export const MEMBER_IDS_OUTCOMES = [
  'kept',
  'member ids changed',
  'cluster id changed',
  'both changed',
] as const;
/** How the next member's member add went. */
export const MEMBER_ADD_OUTCOMES = ['joined at once', 'refused then joined', 'never joined'] as const;
/**
 * Under a write load: the restore holds exactly the acknowledged writes at or below the snapshot's
 * revision (and the rebuilt cluster every one it acknowledged), or what it did instead.
 */
export const ACKED_WRITES_OUTCOMES = [
  'as acknowledged',
  'lost acknowledged writes',
  'writes after the backup seen',
  'no write acknowledged',
] as const;
/** Did the run need member update for the next member to join? */
export const MEMBER_UPDATE_OUTCOMES = ['not needed', 'needed'] as const;

/** An optional recovery expectation (recovered / needs-restart / not-recovered) per name. */
const recoveryPer = <N extends string>(names: readonly N[]) =>
  z
    .object(
      Object.fromEntries(names.map((n) => [n, expectationSchema(PROBE_OUTCOMES).optional()])) as Record<
        N,
        z.ZodOptional<ReturnType<typeof expectationSchema<typeof PROBE_OUTCOMES>>>
      >,
    )
    .strict();

/** expect.k8s's keys: 1.20's check names, and 1.36's as `1.36-<name>` (check ids k8s-1.36-<name>). */
const K8S_EXPECT_KEYS = [
  ...K8S_STAGE_CHECKS,
  ...MODERN_K8S_CHECKS.map((n) => `${MODERN_K8S_KEY}${n}` as const),
];

export const ScenarioSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lowercase letters, digits and dashes'),
    title: z.string().min(1),
    description: z.string().min(1),
    cluster: z
      .object({
        size: z.number().int().min(1).max(7).default(3),
        /** --initial-cluster-token; the write-up used k8s_etcd. */
        token: z.string().min(1).default('k8s_etcd'),
        /** HTTPS and client certificates on client and peer URLs; --tls turns it on for any scenario. */
        tls: z.boolean().default(false),
      })
      .strict()
      .default({}),
    /** Default etcd version for this scenario; --etcd overrides it. */
    etcd: z.string().optional(),
    fixtures: z
      .object({
        v2: z.string().min(1),
        v3: z.string().min(1),
        /** v3 key count for generated fixtures; --objects overrides it. */
        objects: z.number().int().positive().optional(),
      })
      .strict(),
    strategy: z.string().min(1),
    expect: z
      .object({
        // Optional only where the backup is expected not to complete or the restore to be refused.
        v3: expectationSchema(DATA_OUTCOMES).optional(),
        v2: expectationSchema(DATA_OUTCOMES).optional(),
        membership: expectationSchema(MEMBERSHIP_OUTCOMES).optional(),
        restore: expectationSchema(RESTORE_OUTCOMES).optional(),
        backup: expectationSchema(BACKUP_OUTCOMES).optional(),
        revision: expectationSchema(REVISION_OUTCOMES).optional(),
        integrity: expectationSchema(INTEGRITY_OUTCOMES).optional(),
        /** Under a write load (fault write-load): the acknowledged writes against the snapshot revision. */
        acknowledgedWrites: expectationSchema(ACKED_WRITES_OUTCOMES).optional(),
        /** What etcd did with a member whose data dir was damaged (disk-corruption fault). */
        memberCorruption: expectationSchema(MEMBER_CORRUPTION_OUTCOMES).optional(),
        /** The restored cluster's alarms and whether it takes a write (restore-quota fault). */
        restoredQuota: expectationSchema(RESTORED_QUOTA_OUTCOMES).optional(),
        /** The v2-readiness fault's lines: the check, each --v2-deprecation level, the clean-ups. */
        v2Readiness: v2ReadinessExpect.optional(),
        /** The first restored member's peer URL after its first start. */
        peerUrl: expectationSchema(PEER_URL_OUTCOMES).optional(),
        memberIds: expectationSchema(MEMBER_IDS_OUTCOMES).optional(),
        memberAdd: expectationSchema(MEMBER_ADD_OUTCOMES).optional(),
        memberUpdate: expectationSchema(MEMBER_UPDATE_OUTCOMES).optional(),
        /** Per component probe (harness/probes); a probe without one is expected to recover. */
        components: recoveryPer(PROBE_NAMES).optional(),
        /** Per Kubernetes check (--k8s, --k8s 1.36); a check without one is expected to recover. */
        k8s: recoveryPer(K8S_EXPECT_KEYS).optional(),
      })
      .strict()
      .superRefine((e, ctx) => {
        // Ends the drill on every version (base and byVersion, none 'completed', not even as one of
        // the varying outcomes): then nothing restored is graded, and the data expectations may go.
        type Spec = { outcome?: string; varies?: Record<string, number>; byVersion?: Record<string, Spec> };
        const completes = (x: Spec) =>
          x.varies ? Object.hasOwn(x.varies, 'completed') : x.outcome === 'completed';
        const endsEverywhere = (spec: Spec | undefined) => {
          const all = spec
            ? [...(spec.outcome || spec.varies ? [spec] : []), ...Object.values(spec.byVersion ?? {})]
            : [];
          return all.length > 0 && all.every((x) => !completes(x));
        };
        const refused = endsEverywhere(e.restore);
        const backupFails = endsEverywhere(e.backup);
        for (const k of ['v3', 'v2', 'membership'] as const) {
          if (!e[k] && !refused && !backupFails) {
            ctx.addIssue({
              code: z.ZodIssueCode.custom,
              path: [k],
              message:
                'required (only a scenario whose restore is expected to be refused, or whose backup to fail or hang on every version, may leave it out)',
            });
          }
        }
      }),
    faults: z.array(FaultSchema).default([]),
  })
  .strict();

/**
 * Which set a scenario belongs to, by its folder: `main` (scenarios/) runs by default; `chaos`
 * (scenarios/chaos/, the fault catalogue) and `cross` (scenarios/cross/, drills that need a version
 * pair) run when asked for by id or with --catalogue.
 */
export const CATALOGUES = ['main', 'chaos', 'cross'] as const;
export type Catalogue = (typeof CATALOGUES)[number];
export type Scenario = z.infer<typeof ScenarioSchema> & { readonly catalogue: Catalogue };
export type ExpectationKey = keyof Scenario['expect'];

/** What a scenario that records nothing for a check expects, and why. */
export const DEFAULT_EXPECTATIONS = {
  backup: {
    outcome: 'completed',
    source: { kind: 'default', ref: 'a backup of a healthy cluster completes' },
  },
  /** For a check whose outcome nobody has recorded for this scenario (and version) yet: judged 'unrecorded'. */
  unrecorded: {
    outcome: NOT_RECORDED,
    source: {
      kind: 'default',
      ref: 'nothing recorded for this check: record it with etcd-drill expectations record',
    },
  },
  restore: {
    outcome: 'completed',
    source: { kind: 'default', ref: 'a restore from an intact backup completes' },
  },
  revision: {
    outcome: 'backwards',
    source: {
      kind: 'etcd-docs',
      ref: 'op-guide/recovery',
      note: 'a restore starts from the revision the backup holds',
    },
  },
  integrity: {
    outcome: 'consistent',
    source: {
      kind: 'etcd-docs',
      ref: 'endpoint hashkv',
      note: 'members of one cluster hash the same keyspace at one revision',
    },
  },
  /** For data and membership checks of a scenario that expected the restore to be refused. */
  notReached: {
    outcome: 'not reached',
    source: {
      kind: 'default',
      ref: 'the scenario expects the restore to be refused, so it records nothing for the restored data',
    },
  },
  /** A probe or Kubernetes check nobody recorded here: reported as observed, not judged (whether it needed a restart is the procedure grade's). */
  component: {
    outcome: NOT_RECORDED,
    source: {
      kind: 'default',
      ref: 'nothing recorded for this component on this scenario and version: record it with etcd-drill expectations record',
    },
  },
} as const satisfies Record<string, Expectation & { outcome: string }>;
export type { Expectation } from './expectations.ts';

export const SCENARIO_DIR = fromRoot('scenarios');

/** Parses one scenario file; any problem becomes a BAD_INPUT error naming the file and the field. */
export function parseScenario(
  text: string,
  file: string,
  knownStrategies: readonly string[],
  catalogue: Catalogue = 'main',
): Scenario {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new HarnessError(
      'BAD_INPUT',
      `scenario file ${file} is not valid JSON (${(err as Error).message}): fix the file or remove it`,
    );
  }
  const parsed = ScenarioSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`)
      .join('; ');
    throw new HarnessError('BAD_INPUT', `scenario file ${file} is malformed: ${problems}`);
  }
  if (!knownStrategies.includes(parsed.data.strategy)) {
    throw new HarnessError(
      'BAD_INPUT',
      `scenario file ${file} names unknown strategy "${parsed.data.strategy}": known are ${knownStrategies.join(', ')}`,
    );
  }
  return { ...parsed.data, catalogue };
}

export async function loadScenarios(
  knownStrategies: readonly string[],
  dir = SCENARIO_DIR,
): Promise<Scenario[]> {
  const out: Scenario[] = [];
  for (const catalogue of CATALOGUES) {
    const folder = catalogue === 'main' ? dir : join(dir, catalogue);
    const files = existsSync(folder) ? (await readdir(folder)).filter((f) => f.endsWith('.json')).sort() : [];
    for (const f of files) {
      const s = parseScenario(
        await readFile(join(folder, f), 'utf8'),
        join(folder, f),
        knownStrategies,
        catalogue,
      );
      if (out.some((o) => o.id === s.id))
        throw new HarnessError('BAD_INPUT', `scenario id "${s.id}" is used twice (${join(folder, f)})`);
      out.push(s);
    }
  }
  return out;
}

/** The scenarios named by id (from any catalogue), else every scenario of the catalogue ('all': both). */
export function selectScenarios(
  all: readonly Scenario[],
  ids: readonly string[] | undefined,
  catalogue: Catalogue | 'all' = 'main',
): Scenario[] {
  if (!ids || ids.length === 0) return all.filter((s) => catalogue === 'all' || s.catalogue === catalogue);
  return ids.map((id) => {
    const s = all.find((x) => x.id === id);
    if (!s) {
      throw new HarnessError(
        'BAD_INPUT',
        `unknown scenario "${id}": known are ${all.map((x) => x.id).join(', ')} (see: etcd-drill list)`,
      );
    }
    return s;
  });
}

// Moved to expectations.ts; re-exported so callers keep working.
export { expectationFor } from './expectations.ts';
