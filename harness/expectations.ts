import { z } from 'zod';
import { HarnessError } from './errors.ts';

/**
 * Where an expectation comes from, and what a check expects: one outcome, or (from runs that disagreed)
 * several, each with how many runs saw it. The scenario files (harness/scenario.ts) use these schemas.
 */

/** An observed expectation stands on at least this many agreeing runs. */
export const MIN_OBSERVED_RUNS = 3;

const ref = z.string().min(1, 'say which one (a step, a page, a test)');
const note = z.string().min(1).optional();

const ObservedSourceSchema = z
  .object({
    kind: z.literal('observed'),
    /** Run ids (results.json runId) of every run counted in `of`. */
    runs: z.array(z.string().min(1)),
    /** Runs whose outcome the expectation covers (a `varies` covers all of them). */
    agreeing: z.number().int().min(0),
    of: z.number().int().min(0),
    provider: z.string().min(1),
    /** YYYY-MM-DD of the latest run. */
    date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date like 2026-11-30'),
    note,
  })
  .strict();
export type ObservedSource = z.infer<typeof ObservedSourceSchema>;

const SOURCE_KINDS = ['write-up', 'etcd-docs', 'etcd-test', 'observed', 'default'] as const;
const sourceShape =
  '{ "kind": "write-up" | "etcd-docs" | "etcd-test" | "default", "ref": "…" } or { "kind": "observed", "runs": [...], "agreeing", "of", "provider", "date" }';

const BaseSourceSchema = z.discriminatedUnion(
  'kind',
  [
    /** Which step or finding of the write-up. */
    z.object({ kind: z.literal('write-up'), ref, note }).strict(),
    /** A page or section of etcd's docs (a URL is fine), or an etcd issue (etcd#7002). */
    z.object({ kind: z.literal('etcd-docs'), ref, note }).strict(),
    /** An etcd test that asserts it: tests/e2e/ctl_v3_snapshot_test.go::TestRestoreCompactionRevBump. */
    z.object({ kind: z.literal('etcd-test'), ref, note }).strict(),
    ObservedSourceSchema,
    /** The harness's built-in default (DEFAULT_EXPECTATIONS). */
    z.object({ kind: z.literal('default'), ref, note }).strict(),
  ],
  {
    errorMap: (issue, ctx) => {
      if (issue.code === 'invalid_union_discriminator')
        return { message: `source.kind must be one of ${SOURCE_KINDS.join(', ')}` };
      if (issue.code === 'invalid_type')
        return { message: `say where the expectation comes from: ${sourceShape}` };
      return { message: ctx.defaultError };
    },
  },
);

/** Why an observed source is not enough to stand on, or undefined when it is. */
export function observedProblem(s: ObservedSource): string | undefined {
  const ids = s.runs.length === 0 ? 'no run ids' : `${s.runs.length} run id(s)`;
  const tally = `observed in ${s.agreeing} of ${s.of} runs (${ids})`;
  const record = 'record it from fresh runs: etcd-drill expectations record <results.json...> --write';
  if (s.agreeing < MIN_OBSERVED_RUNS)
    return `${tally}: an observed expectation needs at least ${MIN_OBSERVED_RUNS} agreeing runs, each named in runs; ${record}`;
  if (s.agreeing > s.of) return `${tally}: agreeing cannot exceed of`;
  if (s.runs.length !== s.of) return `${tally}: runs must name each of the ${s.of} runs; ${record}`;
  return undefined;
}

/** An observed source without run ids predates the 3-run rule: parsing accepts it, legacyObserved() lists it. */
const isLegacy = (s: z.infer<typeof BaseSourceSchema>) => s.kind === 'observed' && s.runs.length === 0;

export const SourceSchema = BaseSourceSchema.superRefine((s, ctx) => {
  if (s.kind !== 'observed' || isLegacy(s)) return;
  const problem = observedProblem(s);
  if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
});
/** The schema with the 3-run rule applied to every observed source, legacy ones too. */
export const StrictSourceSchema = BaseSourceSchema.superRefine((s, ctx) => {
  const problem = s.kind === 'observed' ? observedProblem(s) : undefined;
  if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
});
export type Source = z.infer<typeof BaseSourceSchema>;

const KIND_WORDS: Record<Exclude<Source['kind'], 'observed'>, string> = {
  'write-up': 'write-up',
  'etcd-docs': 'etcd docs',
  'etcd-test': 'etcd test',
  default: 'default',
};

/** One line for reports: "observed in 3 of 3 runs (process, 2026-11-30)", "etcd docs: op-guide/recovery". */
export function sourceText(s: Source): string {
  const head =
    s.kind === 'observed'
      ? `observed in ${s.agreeing} of ${s.of} runs (${s.provider}, ${s.date})`
      : `${KIND_WORDS[s.kind]}: ${s.ref}`;
  return s.note ? `${head} — ${s.note}` : head;
}

export type Expectation =
  | { readonly outcome: string; readonly source: Source }
  | { readonly varies: Readonly<Record<string, number>>; readonly source: Source };

/** What a scenario file holds per check: an expectation (or only per-version ones), with version overrides. */
export interface ExpectationSpec {
  readonly outcome?: string | undefined;
  readonly varies?: Readonly<Record<string, number | undefined>> | undefined;
  readonly source?: Source | undefined;
  readonly byVersion?: Readonly<Record<string, ExpectationSpec>> | undefined;
}

type Outcomes = readonly [string, ...string[]];

/** The fields one expectation has, checked together: exactly one of outcome and varies, and a source. */
function oneExpectation(
  e: { outcome?: unknown; varies?: Record<string, number | undefined> | undefined; source?: Source },
  ctx: z.RefinementCtx,
  required: boolean,
) {
  const issue = (path: string, message: string) =>
    ctx.addIssue({ code: z.ZodIssueCode.custom, path: [path], message });
  if (e.outcome !== undefined && e.varies !== undefined) issue('varies', 'give outcome or varies, not both');
  const has = e.outcome !== undefined || e.varies !== undefined;
  if (!has && required) issue('outcome', 'Required (or varies, from runs that disagreed)');
  if (has && !e.source) issue('source', `say where the expectation comes from: ${sourceShape}`);
  if (!has && e.source) issue('source', 'a source without an outcome or varies');
  if (e.varies === undefined) return;
  const counts = Object.values(e.varies).filter((n): n is number => n !== undefined);
  if (counts.length < 2) issue('varies', 'at least 2 outcomes (one outcome is an "outcome")');
  const src = e.source;
  if (src && src.kind !== 'observed') issue('source', 'varies comes from runs: its source is observed');
  const total = counts.reduce((a, b) => a + b, 0);
  if (src?.kind === 'observed' && src.runs.length > 0 && (total !== src.of || src.agreeing !== src.of)) {
    issue('varies', `the counts add up to ${total}; the source says ${src.agreeing} of ${src.of} runs`);
  }
}

/**
 * One check's expectation: `{ outcome, source }` or `{ varies: { <outcome>: runs, ... }, source }`, with
 * `byVersion` overrides keyed by exact ("3.5.30") or minor ("3.5") version, each fixed or varies. The base
 * may be left out when byVersion is given (versions not listed then have no expectation recorded).
 */
export function expectationSchema<T extends Outcomes>(outcomes: T) {
  const fields = {
    outcome: z.enum(outcomes).optional(),
    varies: z.record(z.enum(outcomes), z.number().int().positive()).optional(),
    source: SourceSchema.optional(),
  };
  const one = z
    .object(fields)
    .strict()
    .superRefine((e, ctx) => oneExpectation(e, ctx, true));
  return z
    .object({
      ...fields,
      byVersion: z
        .record(
          z
            .string()
            .regex(
              /^(\d+\.\d+(\.\d+)?|\d+\.\d+\.\d+:\d+\.\d+\.\d+|\d+\.\d+\.\d+@kind)$/,
              'a version like 3.5 or 3.5.30, a pair like 3.4.23:3.5.16, or a version on kind like 3.5.30@kind',
            ),
          one,
        )
        .optional(),
    })
    .strict()
    .superRefine((e, ctx) => oneExpectation(e, ctx, e.byVersion === undefined));
}

/** The expectation a spec states at its own level, if any. */
function own(spec: ExpectationSpec): Expectation | undefined {
  if (!spec.source) return undefined;
  if (spec.outcome !== undefined) return { outcome: spec.outcome, source: spec.source };
  if (spec.varies === undefined) return undefined;
  const varies = Object.fromEntries(
    Object.entries(spec.varies).filter((e): e is [string, number] => e[1] !== undefined),
  );
  return { varies, source: spec.source };
}

/**
 * The expectation that applies to `version`: exact override, then minor override, then the spec's own.
 * A pair (`3.4.23:3.5.16`) has only its exact override: neither version's outcome stands for the pair.
 */
export function expectationFor(spec: ExpectationSpec, version: string): Expectation {
  const hit = findExpectation(spec, version);
  if (hit) return hit;
  throw new HarnessError(
    'BAD_INPUT',
    `no expectation recorded for etcd ${version} (only for ${Object.keys(spec.byVersion ?? {}).join(', ')}): record one with etcd-drill expectations record`,
  );
}

/** Between a version and the deployment it ran on, in expectation keys: 3.5.30@kind. */
export const DEPLOYMENT_SEPARATOR = '@';

/** As expectationFor, but undefined where nothing is recorded for this version. */
export function findExpectation(spec: ExpectationSpec, version: string): Expectation | undefined {
  if (version.includes(DEPLOYMENT_SEPARATOR)) return onDeployment(spec, version);
  const exact = spec.byVersion?.[version];
  const byMinor = version.includes(':')
    ? undefined
    : spec.byVersion?.[version.split('.').slice(0, 2).join('.')];
  return (exact && own(exact)) ?? (byMinor && own(byMinor)) ?? own(spec);
}

/**
 * A version on another deployment (3.5.30@kind): its own observations, else the spec's base when
 * that is not an observation (the write-up, etcd's docs, an etcd test, or a default); never runs observed elsewhere (a
 * kubeadm cluster's etcd gets its cluster ID from kubeadm's first member, not the restore's).
 */
function onDeployment(spec: ExpectationSpec, key: string): Expectation | undefined {
  const exact = spec.byVersion?.[key];
  if (exact) return own(exact);
  const base = own(spec);
  return base && base.source.kind !== 'observed' ? base : undefined;
}

/** "needs-restart", or "varies: recovered 2, needs-restart 1". */
export function expectedText(exp: Expectation): string {
  if ('outcome' in exp) return exp.outcome;
  return `varies: ${Object.entries(exp.varies)
    .map(([o, n]) => `${o} ${n}`)
    .join(', ')}`;
}

/** The outcome of the "nothing recorded" fallback: no check ever observes it. */
export const NOT_RECORDED = 'not recorded';

/** Nothing is recorded for this check (scenario, version): there is nothing to judge its observation by. */
export function isUnrecorded(exp: Expectation): boolean {
  return 'outcome' in exp && exp.outcome === NOT_RECORDED;
}

/**
 * Grades one observation: as expected when it is the outcome, or one of the outcomes that varied.
 * Against nothing recorded it is 'unrecorded': reported as observed, never judged against an
 * invented outcome, so it fails no run under --require expected (the procedure grade still reads it).
 */
export function judge(
  exp: Expectation,
  observed: string,
): { expected: string; verdict: 'as-expected' | 'unexpected' | 'unrecorded'; source: Source } {
  const ok = 'outcome' in exp ? observed === exp.outcome : Object.hasOwn(exp.varies, observed);
  const verdict = isUnrecorded(exp) ? 'unrecorded' : ok ? 'as-expected' : 'unexpected';
  return { expected: expectedText(exp), verdict, source: exp.source };
}

/** Every expectation (base and per version) in a scenario's `expect`, with its path. */
export function* walkExpectations(
  node: unknown,
  path: readonly string[] = [],
): Generator<{ path: string[]; spec: ExpectationSpec }> {
  if (!node || typeof node !== 'object') return;
  const o = node as Record<string, unknown>;
  if ('outcome' in o || 'varies' in o || 'source' in o || 'byVersion' in o) {
    yield { path: [...path], spec: o as ExpectationSpec };
    for (const [v, e] of Object.entries((o.byVersion ?? {}) as Record<string, ExpectationSpec>)) {
      yield { path: [...path, 'byVersion', v], spec: e };
    }
    return;
  }
  for (const [k, v] of Object.entries(o)) yield* walkExpectations(v, [...path, k]);
}

/** Observed sources that do not meet the 3-run rule (recorded before it), per scenario and path. */
export function legacyObserved(
  scenarios: readonly { id: string; expect: unknown }[],
): { scenario: string; path: string; problem: string }[] {
  const out: { scenario: string; path: string; problem: string }[] = [];
  for (const s of scenarios) {
    for (const { path, spec } of walkExpectations(s.expect)) {
      const problem = spec.source?.kind === 'observed' ? observedProblem(spec.source) : undefined;
      if (problem) out.push({ scenario: s.id, path: path.join('.'), problem });
    }
  }
  return out;
}
