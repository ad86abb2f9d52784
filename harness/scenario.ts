import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { HarnessError } from './errors.ts';
import { K8S_CHECKS } from './k8s/check-names.ts';
import { PROBE_NAMES, PROBE_OUTCOMES } from './probes/types.ts';

/**
 * What a restore did to one API's data: exactly the backup point (restored), nothing (lost), some of
 * it and nothing newer (partial), data written after the backup (post-backup: not from the backup
 * alone, the write-up's "from the WAL"), something else (mismatch), or members that serve different
 * data (divergent).
 */
export const DATA_OUTCOMES = ['restored', 'lost', 'partial', 'post-backup', 'mismatch', 'divergent'] as const;
export type DataOutcome = (typeof DATA_OUTCOMES)[number];
export const MEMBERSHIP_OUTCOMES = ['healthy', 'degraded'] as const;
export type MembershipOutcome = (typeof MEMBERSHIP_OUTCOMES)[number];
/** Did the backup command complete, fail (etcd's non-zero exit), or hang until the harness's bound killed it? */
export const BACKUP_OUTCOMES = ['completed', 'failed', 'hung'] as const;
/** Did etcd accept the backup for restoring, or refuse it with its own error? */
export const RESTORE_OUTCOMES = ['completed', 'refused: corrupt snapshot'] as const;
/** Did the revision clients see go below one they had already seen? */
export const REVISION_OUTCOMES = ['forward', 'backwards'] as const;
/** Members agree on the hash of the keyspace at one revision, and no alarm is raised. */
export const INTEGRITY_OUTCOMES = ['consistent', 'hash mismatch', 'alarm'] as const;

/** Faults applied by the runner between the steps of a scenario. */
export const FaultSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('corrupt-snapshot'),
      /** truncate: cut the file in half; flip-bytes: overwrite 4 bytes in the middle (the size stays). */
      how: z.enum(['truncate', 'flip-bytes']),
    })
    .strict(),
]);
export type Fault = z.infer<typeof FaultSchema>;

const expectation = <T extends readonly [string, ...string[]]>(outcomes: T) => {
  const one = z
    .object({
      outcome: z.enum(outcomes),
      /** Where this expectation comes from: the write-up, etcd's docs, or an observed run (version, date). */
      source: z.string().min(1, 'say where the expectation comes from'),
    })
    .strict();
  return one.extend({
    /** Per-version overrides: exact ("3.5.30") or minor ("3.5"). */
    byVersion: z
      .record(z.string().regex(/^\d+\.\d+(\.\d+)?$/, 'a version like 3.5 or 3.5.30'), one)
      .optional(),
  });
};

/** An optional recovery expectation (recovered / needs-restart / not-recovered) per name. */
const recoveryPer = <N extends string>(names: readonly N[]) =>
  z
    .object(
      Object.fromEntries(names.map((n) => [n, expectation(PROBE_OUTCOMES).optional()])) as Record<
        N,
        z.ZodOptional<ReturnType<typeof expectation<typeof PROBE_OUTCOMES>>>
      >,
    )
    .strict();

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
        v3: expectation(DATA_OUTCOMES).optional(),
        v2: expectation(DATA_OUTCOMES).optional(),
        membership: expectation(MEMBERSHIP_OUTCOMES).optional(),
        backup: expectation(BACKUP_OUTCOMES).optional(),
        restore: expectation(RESTORE_OUTCOMES).optional(),
        revision: expectation(REVISION_OUTCOMES).optional(),
        integrity: expectation(INTEGRITY_OUTCOMES).optional(),
        /** Per component probe (harness/probes); a probe without one is expected to recover. */
        components: recoveryPer(PROBE_NAMES).optional(),
        /** Per control-plane check (--k8s); a check without one is expected to recover. */
        k8s: recoveryPer(K8S_CHECKS).optional(),
      })
      .strict()
      .superRefine((e, ctx) => {
        const refused = (e.restore?.outcome ?? 'completed') !== 'completed';
        // On every version: a byVersion 'completed' brings back what that version's restore must be graded on.
        const backupFails =
          !!e.backup &&
          [e.backup, ...Object.values(e.backup.byVersion ?? {})].every((x) => x.outcome !== 'completed');
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

export type Scenario = z.infer<typeof ScenarioSchema>;
export type ExpectationKey = keyof Scenario['expect'];

/** What a scenario that records nothing for a check expects, and why. */
export const DEFAULT_EXPECTATIONS = {
  restore: { outcome: 'completed', source: 'default: a restore from an intact backup completes' },
  revision: {
    outcome: 'backwards',
    source: 'etcd docs (op-guide/recovery): a restore starts from the revision the backup holds',
  },
  integrity: {
    outcome: 'consistent',
    source: 'etcd docs (endpoint hashkv): members of one cluster hash the same keyspace at one revision',
  },
  /** For data and membership checks of a scenario that expected the restore to be refused. */
  notReached: {
    outcome: 'not reached',
    source: 'the scenario expects the restore to be refused, so it records nothing for the restored data',
  },
  component: {
    outcome: 'recovered',
    source:
      'default: a component should survive a restore without a restart (nothing recorded for this probe)',
  },
} as const;
export interface Expectation {
  readonly outcome: string;
  readonly source: string;
}

export const SCENARIO_DIR = fileURLToPath(new URL('../scenarios/', import.meta.url));

/** Parses one scenario file; any problem becomes a BAD_INPUT error naming the file and the field. */
export function parseScenario(text: string, file: string, knownStrategies: readonly string[]): Scenario {
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
  return parsed.data;
}

export async function loadScenarios(
  knownStrategies: readonly string[],
  dir = SCENARIO_DIR,
): Promise<Scenario[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.json')).sort();
  const out: Scenario[] = [];
  for (const f of files) {
    const s = parseScenario(await readFile(join(dir, f), 'utf8'), join(dir, f), knownStrategies);
    if (out.some((o) => o.id === s.id))
      throw new HarnessError('BAD_INPUT', `scenario id "${s.id}" is used twice (${f})`);
    out.push(s);
  }
  return out;
}

export function selectScenarios(all: readonly Scenario[], ids: readonly string[] | undefined): Scenario[] {
  if (!ids || ids.length === 0) return [...all];
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

/** The expectation that applies to `version`: exact override, then minor override, then the default. */
export function expectationFor(
  spec: {
    outcome: string;
    source: string;
    byVersion?: Record<string, { outcome: string; source: string }> | undefined;
  },
  version: string,
): Expectation {
  const minor = version.split('.').slice(0, 2).join('.');
  const hit = spec.byVersion?.[version] ?? spec.byVersion?.[minor];
  return hit ?? { outcome: spec.outcome, source: spec.source };
}
