import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { HarnessError } from './errors.ts';

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
        v3: expectation(DATA_OUTCOMES),
        v2: expectation(DATA_OUTCOMES),
        membership: expectation(MEMBERSHIP_OUTCOMES),
      })
      .strict(),
  })
  .strict();

export type Scenario = z.infer<typeof ScenarioSchema>;
export type ExpectationKey = keyof Scenario['expect'];
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
