import { z } from 'zod';

/**
 * results.json, schema version 2, as a validator: readers (regression diffs, CI tooling, tests) parse
 * old and new runs through this rather than trusting the shape. Documented in reports/SCHEMA.md.
 */
const serializedError: z.ZodType<unknown> = z.lazy(() =>
  z.object({
    code: z.string().optional(),
    message: z.string(),
    details: z.record(z.string(), z.unknown()).optional(),
    cause: serializedError.optional(),
  }),
);

const counts = z.object({ v2: z.number().int().nonnegative(), v3: z.number().int().nonnegative() });
const membership = z.object({
  clusterId: z.string().optional(),
  members: z.array(z.object({ name: z.string(), id: z.string(), peerUrls: z.array(z.string()) })),
});

const modeResult = z.object({
  ok: z.boolean(),
  ms: z.number().nonnegative(),
  evidence: z.record(z.string(), z.unknown()),
});

export const CheckResultSchema = z.object({
  id: z.string(),
  title: z.string(),
  expected: z.string(),
  observed: z.string(),
  verdict: z.enum(['as-expected', 'unexpected', 'unknown']),
  source: z.string().min(1),
  details: z.record(z.string(), z.unknown()).optional(),
});

export const ScenarioResultSchema = z.object({
  scenarioId: z.string(),
  title: z.string(),
  strategy: z.string(),
  provider: z.string(),
  etcd: z.object({ version: z.string(), origin: z.string() }),
  clusterSize: z.number().int().positive(),
  tls: z.boolean(),
  verdict: z.enum(['as-expected', 'unexpected', 'unknown', 'not-applicable']),
  startedAt: z.string().datetime(),
  durationMs: z.number().nonnegative(),
  steps: z.array(
    z.object({
      title: z.string(),
      startMs: z.number().nonnegative(),
      durationMs: z.number().nonnegative(),
      ok: z.boolean(),
      error: serializedError.optional(),
    }),
  ),
  counts: z.object({
    backup: counts.optional(),
    restored: counts.optional(),
    byType: z
      .record(
        z.string(),
        z.object({ backup: z.number().int().nonnegative(), restored: z.number().int().nonnegative() }),
      )
      .optional(),
  }),
  revisions: z.object({
    backup: z.number().optional(),
    restored: z.number().optional(),
    maxSeenBeforeDisaster: z.number().optional(),
    firstSeenAfterDisaster: z.number().optional(),
  }),
  membership: z.object({ before: membership.optional(), after: membership.optional() }),
  notes: z.record(z.string(), z.unknown()),
  checks: z.array(CheckResultSchema),
  components: z
    .array(
      z.object({
        probe: z.string(),
        outcome: z.enum(['recovered', 'needs-restart', 'not-recovered']),
        recoverMs: z.number().nonnegative().optional(),
        restartRecoverMs: z.number().nonnegative().optional(),
        maxRevisionBefore: z.number().nonnegative(),
        evidence: z.record(z.string(), z.unknown()),
        afterRestart: z.record(z.string(), z.unknown()).optional(),
        warnings: z.array(z.string()).optional(),
      }),
    )
    .optional(),
  refusal: z.object({ step: z.string(), outcome: z.string(), quote: z.string() }).optional(),
  k8s: z
    .object({
      version: z.string(),
      origin: z.string(),
      startMs: z.number().nonnegative(),
      restartMs: z.number().nonnegative(),
      checks: z.array(
        z.object({
          check: z.string(),
          outcome: z.enum(['recovered', 'needs-restart', 'not-recovered']),
          kept: modeResult,
          restarted: modeResult,
        }),
      ),
      exits: z.array(
        z.object({ component: z.string(), at: z.string(), how: z.string(), reason: z.string() }),
      ),
    })
    .optional(),
  error: serializedError.optional(),
  notApplicable: z.string().optional(),
  kept: z
    .object({
      endpoints: z.array(z.string()),
      workDir: z.string(),
      etcdctlFlags: z.array(z.string()).optional(),
    })
    .optional(),
});

export const RunResultSchema = z.object({
  schemaVersion: z.literal(2),
  runId: z.string(),
  tool: z.object({ name: z.literal('etcd-drill'), version: z.string() }),
  startedAt: z.string().datetime(),
  finishedAt: z.string().datetime(),
  exitCode: z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(130)]),
  results: z.array(ScenarioResultSchema),
});
