import type { CheckResult, RunResult, ScenarioResult, SerializedError } from '../harness/result.ts';

/**
 * junit.xml in the Apache Ant / Jenkins format (reports/junit/JUnit.xsd, which the tests validate against):
 * a testsuite per drill (scenario × etcd version), a testcase per check, a `procedure-grade` testcase, and a
 * `harness` testcase when a harness error left the drill unknown. Unknown is an <error>, never a pass.
 * The Ant schema allows no output inside a testcase: each testcase's observed outcome and expectation, and
 * the grade, are in the suite's <system-out> (and its properties).
 */
export function renderJunit(run: RunResult): string {
  const suites = run.results.map((r, i) => suite(run, r, i));
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n${suites.join('')}</testsuites>\n`;
}

type Outcome =
  | { kind: 'pass' }
  | { kind: 'failure' | 'error' | 'skipped'; type: string; message: string; body?: string };

interface Case {
  readonly name: string;
  readonly seconds: number;
  readonly outcome: Outcome;
  /** One line for the suite's system-out. */
  readonly line: string;
}

function suite(run: RunResult, r: ScenarioResult, id: number): string {
  const name = cellName(r);
  const cases = testcases(run, r);
  const count = (k: Outcome['kind']) => cases.filter((c) => c.outcome.kind === k).length;
  const attrs = {
    name,
    package: r.scenarioId,
    id,
    // The Ant schema wants a local time without zone: results.json's UTC, as UTC.
    timestamp: r.startedAt.slice(0, 19),
    // results.json does not say which host ran the drill; the schema's own stand-in.
    hostname: 'localhost',
    tests: cases.length,
    failures: count('failure'),
    errors: count('error'),
    skipped: count('skipped'),
    time: seconds(r.durationMs),
  };
  const out = [
    `etcd-drill run ${run.runId}: ${name} (${r.strategy}, ${r.provider}, etcd ${r.etcd.origin})`,
    `regression verdict: ${r.verdict}; procedure grade: ${gradeText(r)}; --require ${run.require}`,
    ...cases.map((c) => `${c.name}: ${c.line}`),
  ].join('\n');
  return [
    `  <testsuite${attributes(attrs)}>\n`,
    `    <properties>\n${properties(run, r)}    </properties>\n`,
    ...cases.map((c) => testcase(name, c)),
    `    <system-out>${xmlText(`${out}\n`)}</system-out>\n`,
    '    <system-err></system-err>\n',
    '  </testsuite>\n',
  ].join('');
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

function testcase(classname: string, c: Case): string {
  const open = `    <testcase${attributes({ name: c.name, classname, time: c.seconds.toFixed(3) })}`;
  const o = c.outcome;
  if (o.kind === 'pass') return `${open}/>\n`;
  const inner = `<${o.kind}${attributes({ type: o.type, message: o.message })}>${xmlText(o.body ?? '')}</${o.kind}>`;
  return `${open}>\n      ${inner}\n    </testcase>\n`;
}

function properties(run: RunResult, r: ScenarioResult): string {
  const props: [string, string][] = [
    ['runId', run.runId],
    ['require', run.require],
    ['scenario', r.scenarioId],
    ['title', r.title],
    ['strategy', r.strategy],
    ['provider', r.provider],
    ['etcd.version', r.etcd.version],
    ['etcd.origin', r.etcd.origin],
    ['tls', String(r.tls)],
    ['extensions', r.extensions.join(',')],
    ['verdict', r.verdict],
    ['grade', r.grade.grade],
    ['grade.reasons', r.grade.reasons.join('; ')],
    ...(r.notApplicable ? [['notApplicable', r.notApplicable] as [string, string]] : []),
    ...Object.entries(phaseTimes(r)).map(([p, ms]): [string, string] => [`phase.${p}.seconds`, seconds(ms)]),
  ];
  return props.map(([name, value]) => `      <property${attributes({ name, value })}/>\n`).join('');
}

/** Wall time of each phase: from its first step's start to its last step's end (steps nest, so no sum). */
export function phaseTimes(r: ScenarioResult): Record<string, number> {
  const spans: Record<string, [number, number]> = {};
  for (const s of r.steps) {
    const [from, to] = spans[s.phase] ?? [s.startMs, s.startMs];
    spans[s.phase] = [Math.min(from, s.startMs), Math.max(to, s.startMs + s.durationMs)];
  }
  return Object.fromEntries(Object.entries(spans).map(([p, [from, to]]) => [p, to - from]));
}

/** The backup and restore checks judge one phase each: that phase's time; other checks judge observations. */
function phaseSeconds(r: ScenarioResult, checkId: string): number {
  const ms = checkId === 'backup' || checkId === 'restore' ? phaseTimes(r)[checkId] : undefined;
  return (ms ?? 0) / 1000;
}

const cellName = (r: ScenarioResult) => `${r.scenarioId}@${r.etcd.version}`;
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

// XML 1.0 allows only these characters. etcd's words (a panic, a corrupt page) can hold others: they are
// written as \u{…} so the evidence survives and the file still parses.
const ILLEGAL = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;
const visible = (s: string) =>
  s.replace(ILLEGAL, (ch) => `\\u{${(ch.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}}`);

export function xmlText(s: string): string {
  return visible(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Attribute values keep their tabs and line breaks as character references (else they become spaces). */
export function xmlAttr(s: string): string {
  return xmlText(s)
    .replace(/"/g, '&quot;')
    .replace(/\t/g, '&#9;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;');
}

const attributes = (a: Record<string, string | number>) =>
  Object.entries(a)
    .map(([k, v]) => ` ${k}="${xmlAttr(String(v))}"`)
    .join('');
