import { versionKey } from '../harness/pairs.ts';
import type { CheckResult, RunResult, ScenarioResult, SerializedError } from '../harness/result.ts';
import { type Case, junitDocument, type Outcome, type Suite } from './junit-xml.ts';
import { phaseTimes } from './rto.ts';

/**
 * junit.xml in the Apache Ant / Jenkins format (reports/junit/JUnit.xsd, which the tests validate against):
 * a testsuite per drill (scenario × etcd version), a testcase per check, a `procedure-grade` testcase, and a
 * `harness` testcase when a harness error left the drill unknown. Unknown is an <error>, never a pass.
 * The Ant schema allows no output inside a testcase: each testcase's observed outcome and expectation, and
 * the grade, are in the suite's <system-out> (and its properties).
 */
export function renderJunit(run: RunResult): string {
  return junitDocument(run.results.map((r) => suite(run, r)));
}

function suite(run: RunResult, r: ScenarioResult): Suite {
  const name = cellName(r);
  return {
    name,
    package: r.scenarioId,
    startedAt: r.startedAt,
    seconds: r.durationMs / 1000,
    properties: properties(run, r),
    cases: testcases(run, r),
    header: [
      `etcd-drill run ${run.runId}: ${name} (${r.strategy}, ${r.provider}, etcd ${r.etcd.origin})`,
      `regression verdict: ${r.verdict}; procedure grade: ${gradeText(r)}; --require ${run.require}`,
    ],
  };
}

function testcases(run: RunResult, r: ScenarioResult): Case[] {
  const checks = r.checks.map((c) => checkCase(r, c));
  const harness = harnessCase(r);
  return [...checks, ...(harness ? [harness] : []), gradeCase(run, r)];
}

function checkCase(r: ScenarioResult, c: CheckResult): Case {
  const line = `observed ${c.observed}, expected ${c.expected} (expectation: ${c.source}): ${c.verdict}`;
  const base = { name: c.id, seconds: phaseSeconds(r, c.id), line };
  const evidence = c.evidence ? `evidence: ${JSON.stringify(c.evidence, null, 2)}\n` : '';
  if (c.verdict === 'unexpected') {
    const message = `expected ${c.expected}, observed ${c.observed} (expectation: ${c.source})`;
    const body = `${c.title}\nexpectation at expect.${c.expectPath.join('.')}\n${evidence}`;
    return { ...base, outcome: { kind: 'failure', type: 'unexpected', message, body } };
  }
  if (c.verdict === 'unrecorded') {
    // Not a pass: nothing was expected of it. Skipped, so CI shows it and fails nothing.
    const message = `observed ${c.observed}; no recorded expectation to judge it by (record one with etcd-drill expectations record)`;
    return {
      ...base,
      outcome: { kind: 'skipped', type: 'unrecorded', message, body: `${c.title}\n${evidence}` },
    };
  }
  if (c.verdict === 'unknown') {
    const message = `${c.id} could not be made: ${c.error ? chain(c.error) : `observed ${c.observed}`}`;
    const body = `${c.title}\nexpected ${c.expected} (expectation: ${c.source})\n${errorText(c.error)}${evidence}`;
    return { ...base, outcome: { kind: 'error', type: 'unknown', message, body } };
  }
  return { ...base, outcome: { kind: 'pass' } };
}

/** A harness error, or an unknown drill no check explains, is an error of its own: never hidden. */
function harnessCase(r: ScenarioResult): Case | undefined {
  const explained = r.checks.some((c) => c.verdict === 'unknown');
  if (!r.error && (r.verdict !== 'unknown' || explained)) return undefined;
  const message = r.error ? `harness error: ${chain(r.error)}` : 'no check ran';
  return {
    name: 'harness',
    seconds: 0,
    line: message,
    outcome: { kind: 'error', type: r.error?.code ?? 'unknown', message, body: errorText(r.error) },
  };
}

/**
 * Gated only under --require safe (as the exit code is). Under expected a grade that is not safe is
 * skipped as "not gated": a green unsafe or unknown procedure would read as a pass.
 */
function gradeCase(run: RunResult, r: ScenarioResult): Case {
  const g = r.grade.grade;
  const line = `${gradeText(r)} (--require ${run.require})`;
  const base = { name: 'procedure-grade', seconds: 0, line };
  if (g === 'not-applicable')
    return { ...base, outcome: skipped(r.notApplicable ?? r.grade.reasons.join('; ')) };
  if (g === 'safe') return { ...base, outcome: { kind: 'pass' } };
  if (run.require !== 'safe') {
    const message = `not gated (--require expected): procedure ${g}: ${r.grade.reasons.join('; ')}`;
    return { ...base, outcome: { kind: 'skipped', type: 'not-gated', message } };
  }
  const message = `procedure ${g === 'unsafe' ? 'not safe' : 'grade unknown'}: ${r.grade.reasons.join('; ')}`;
  const body = `--require safe: every procedure must be safe\n${errorText(r.error)}`;
  const kind = g === 'unsafe' ? 'failure' : 'error';
  return { ...base, outcome: { kind, type: `procedure-${g}`, message, body } };
}

const skipped = (message: string): Outcome => ({ kind: 'skipped', type: 'not-applicable', message });

function properties(run: RunResult, r: ScenarioResult): [string, string][] {
  const props: [string, string][] = [
    ['runId', run.runId],
    ['require', run.require],
    ['scenario', r.scenarioId],
    ['title', r.title],
    ['strategy', r.strategy],
    ['provider', r.provider],
    ['etcd.version', r.etcd.version],
    ['etcd.origin', r.etcd.origin],
    ...(r.restoreEtcd
      ? [
          ['restoreEtcd.version', r.restoreEtcd.version] as [string, string],
          ['restoreEtcd.origin', r.restoreEtcd.origin] as [string, string],
        ]
      : []),
    ['tls', String(r.tls)],
    ['extensions', r.extensions.join(',')],
    ['verdict', r.verdict],
    ['grade', r.grade.grade],
    ['grade.reasons', r.grade.reasons.join('; ')],
    ...(r.notApplicable ? [['notApplicable', r.notApplicable] as [string, string]] : []),
    ...[...phaseTimes(r)].map(([p, ms]): [string, string] => [`phase.${p}.seconds`, seconds(ms)]),
  ];
  return props;
}

/** The backup and restore checks judge one phase each: that phase's time; other checks judge observations. */
function phaseSeconds(r: ScenarioResult, checkId: string): number {
  const ms = checkId === 'backup' || checkId === 'restore' ? phaseTimes(r).get(checkId) : undefined;
  return (ms ?? 0) / 1000;
}

const cellName = (r: ScenarioResult) => `${r.scenarioId}@${versionKey(r)}`;
const seconds = (ms: number) => (ms / 1000).toFixed(3);
const gradeText = (r: ScenarioResult) =>
  r.grade.reasons.length ? `${r.grade.grade} (${r.grade.reasons.join('; ')})` : r.grade.grade;

function chain(e: SerializedError): string {
  const parts = [e.message];
  for (let c = e.cause; c; c = c.cause) parts.push(c.message);
  return parts.join(' ← ');
}

function errorText(e: SerializedError | undefined): string {
  if (!e) return '';
  const details = e.details ? `details: ${JSON.stringify(e.details, null, 2)}\n` : '';
  return `harness error (${e.code ?? 'error'}): ${chain(e)}\n${details}`;
}
