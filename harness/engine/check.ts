import { serializeError } from '../errors.ts';
import {
  type Expectation,
  type ExpectationSpec,
  expectedText,
  findExpectation,
  judge,
  sourceText,
} from '../expectations.ts';
import type { CheckResult, Observations, SerializedError } from '../result.ts';
import type { Scenario } from '../scenario.ts';
import type { Strategy } from '../strategies/types.ts';

/** What a check reads: the raw observations and what shaped the drill. Enough to re-grade from results.json. */
export interface GradeInput {
  readonly observations: Observations;
  /** Extensions that ran ('probes', 'k8s'). */
  readonly extensions: readonly string[];
  /** How the strategy rebuilds membership: checks of `member add` only apply where it adds members. */
  readonly rebuild: Strategy['rebuild'] | undefined;
  /** The harness error that stopped the drill, if one did. */
  readonly error?: SerializedError | undefined;
}

/** The drill ended early on etcd's own refusal (a finding): checks of later phases are not reached. */
export function endedAt(o: Observations): 'backup' | 'restore' | undefined {
  if (o.backup && o.backup.outcome !== 'completed') return 'backup';
  if (o.restore && o.restore.outcome !== 'completed') return 'restore';
  return undefined;
}

export interface Observed {
  readonly observed: string;
  readonly evidence?: Readonly<Record<string, unknown>>;
}

/**
 * One check: derives an observed outcome and its evidence from the raw observations, or throws when
 * it cannot (a missing or failed observation). Grading is not its business: gradeChecks does it.
 */
export interface CheckDef {
  readonly id: string;
  readonly title: string;
  /** Where the scenario file keeps the expectation, e.g. ['components', 'informer']. */
  readonly expectPath: readonly string[];
  /** The expectation when the scenario records none. */
  readonly fallback: Expectation;
  applies(i: GradeInput): boolean;
  observe(i: GradeInput): Observed;
}

/** An observation a check needs; its absence is "unknown", with the error that lost it when known. */
export function need<K extends keyof Observations>(i: GradeInput, key: K): NonNullable<Observations[K]> {
  const v = i.observations[key];
  if (v !== undefined && v !== null) return v as NonNullable<Observations[K]>;
  const own = i.observations.errors?.[key];
  // The drill's own error is reported whole with the drill; each check repeats only its start.
  const why = own ? ` (${own.message})` : i.error ? ` (the drill stopped: ${brief(i.error.message)})` : '';
  throw new Error(`not observed: ${key}${why}`);
}

function brief(message: string): string {
  const line = message.split('\n')[0] ?? '';
  return line.length > 120 ? `${line.slice(0, 120)}…` : line;
}

function specAt(s: Scenario, path: readonly string[]): unknown {
  let v: unknown = s.expect;
  for (const k of path) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
  return v;
}

/** The expectation for this check on this version: the scenario's, else the check's fallback. */
export function expectationOf(def: CheckDef, s: Scenario, version: string): Expectation {
  const spec = specAt(s, def.expectPath) as ExpectationSpec | undefined;
  return (spec && findExpectation(spec, version)) ?? def.fallback;
}

/**
 * Jepsen's check-safe: every applicable check observed and graded against its expectation; a check
 * that throws is 'unknown' with the error. No other place grades.
 */
export function gradeChecks(
  defs: readonly CheckDef[],
  i: GradeInput,
  s: Scenario,
  version: string,
): CheckResult[] {
  return defs
    .filter((def) => def.applies(i))
    .map((def) => {
      const exp = expectationOf(def, s, version);
      const base = {
        id: def.id,
        title: def.title,
        expectPath: [...def.expectPath],
        expected: expectedText(exp),
        source: sourceText(exp.source),
      };
      try {
        const o = def.observe(i);
        return {
          ...base,
          observed: o.observed,
          verdict: judge(exp, o.observed).verdict,
          ...(o.evidence ? { evidence: { ...o.evidence } } : {}),
        } satisfies CheckResult;
      } catch (err) {
        return {
          ...base,
          observed: 'unknown',
          verdict: 'unknown',
          error: serializeError(err),
        } satisfies CheckResult;
      }
    });
}
