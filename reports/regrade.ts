import { readFile } from 'node:fs/promises';
import { CHECKS } from '../harness/checks/index.ts';
import { gradeChecks } from '../harness/engine/check.ts';
import { procedureGrade } from '../harness/engine/grade.ts';
import { HarnessError } from '../harness/errors.ts';
import { expectationKey } from '../harness/pairs.ts';
import {
  mergeVerdicts,
  type RunResult,
  RunResultSchema,
  runExitCode,
  type ScenarioResult,
} from '../harness/result.ts';
import { loadScenarios, type Scenario } from '../harness/scenario.ts';
import { STRATEGIES } from '../harness/strategies/index.ts';

/** Reads and validates a results.json; a file that is not one is bad input naming the fix. */
export async function readRun(file: string): Promise<RunResult> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new HarnessError(
      'BAD_INPUT',
      `cannot read ${file} as JSON (${(err as Error).message}): give a results.json`,
    );
  }
  const parsed = RunResultSchema.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new HarnessError(
      'BAD_INPUT',
      `${file} is not a results.json of schema version 3 (${first?.path.join('.') || '(top)'}: ${first?.message}): re-run the drill with this version of etcd-drill`,
    );
  }
  return parsed.data;
}

/** One scenario result graded again, from its raw observations alone, against `scenario`'s expectations. */
export function regradeResult(r: ScenarioResult, scenario: Scenario): ScenarioResult {
  if (r.verdict === 'not-applicable') return r;
  const checks = gradeChecks(
    CHECKS,
    {
      observations: r.observations,
      extensions: r.extensions,
      rebuild: STRATEGIES.get(r.strategy)?.rebuild,
      error: r.error,
    },
    scenario,
    // A cross-version drill is judged by its pair's record, a kind drill by kind's, as the run judged it.
    expectationKey(r),
  );
  return {
    ...r,
    checks,
    verdict: r.error ? 'unknown' : mergeVerdicts(checks),
    grade: procedureGrade(checks, {
      harnessError: r.error?.message,
      componentsChecked: r.extensions.includes('probes'),
      claims: r.restores,
    }),
  };
}

export interface Regraded {
  readonly run: RunResult;
  /** Checks whose verdict changed: "<scenario>@<version> <check>: <old> → <new>". */
  readonly changes: readonly string[];
}

/** The whole run against today's scenario files; a scenario that no longer exists is bad input. */
export async function regradeRun(run: RunResult, scenarioDir?: string): Promise<Regraded> {
  const scenarios = await loadScenarios([...STRATEGIES.keys()], scenarioDir);
  const changes: string[] = [];
  const results = run.results.map((r) => {
    const s = scenarios.find((x) => x.id === r.scenarioId);
    if (!s) {
      throw new HarnessError(
        'BAD_INPUT',
        `scenario ${r.scenarioId} of run ${run.runId} is not among today's scenario files: restore it or regrade a run without it`,
      );
    }
    const again = regradeResult(r, s);
    for (const c of again.checks) {
      const old = r.checks.find((o) => o.id === c.id);
      if (old?.verdict !== c.verdict) {
        changes.push(
          `${r.scenarioId}@${expectationKey(r)} ${c.id}: ${old?.verdict ?? 'absent'} → ${c.verdict}`,
        );
      }
    }
    return again;
  });
  const exitCode = runExitCode(results, run.require, {
    interrupted: run.exitCode === 130,
    missingCells: run.merged?.missing.length ?? 0,
  });
  return { run: { ...run, results, exitCode }, changes };
}
