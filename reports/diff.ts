import { gradeText } from '../harness/engine/grade.ts';
import { HarnessError } from '../harness/errors.ts';
import { K8S_EXTENSION, K8S_VERSIONS, type K8sVersion } from '../harness/k8s/choice.ts';
import { versionKey } from '../harness/pairs.ts';
import {
  type CheckResult,
  mergeVerdicts,
  type ProcedureGrade,
  type RunResult,
  type ScenarioResult,
} from '../harness/result.ts';
import { phaseTimes, restoreTime } from './rto.ts';

/** A restore time is flagged when it moved by more than `pct` percent AND more than `ms`. */
export interface RtoThreshold {
  readonly pct: number;
  readonly ms: number;
}
export const DEFAULT_RTO_THRESHOLD: RtoThreshold = { pct: 50, ms: 2000 };

/** "50%,2s" (either part alone is fine; the missing one is 0): the --rto-threshold option. */
export function parseRtoThreshold(text: string): RtoThreshold {
  const t = { pct: 0, ms: 0 };
  const parts = text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  for (const part of parts) {
    const m = /^\+?(\d+(?:\.\d+)?)\s*(%|ms|s)$/.exec(part);
    if (!m) parts.length = 0;
    else if (m[2] === '%') t.pct = Number(m[1]);
    else t.ms = Number(m[1]) * (m[2] === 's' ? 1000 : 1);
  }
  if (parts.length === 0) {
    throw new HarnessError(
      'BAD_INPUT',
      `--rto-threshold "${text}" is not a percentage and/or a time: give e.g. 50%,2s (both must be exceeded)`,
    );
  }
  return t;
}

/** A cell: one drill of a run. tls and k8s are part of it, so runs with and without them (or with another k8s) never match up. */
export interface CellKey {
  readonly scenarioId: string;
  readonly etcd: string;
  readonly provider: string;
  readonly tls: boolean;
  /** Which Kubernetes ran over it: results that predate 1.36 list 1.20's as 'k8s'. */
  readonly k8s: K8sVersion | 'none';
}

export type Effect = 'regression' | 'improvement' | 'change';

export interface Change {
  readonly cell: CellKey;
  /** "s5-v3-snapshot-all-members @ 3.5.30 (process)". */
  readonly label: string;
  readonly subject: 'cell' | 'check' | 'verdict' | 'grade' | 'restore-time';
  /** The check id when subject is 'check'. */
  readonly check?: string;
  readonly effect: Effect;
  /** The new side is unknown: always reported, a regression only when the baseline knew. */
  readonly unknown: boolean;
  readonly before: string;
  readonly after: string;
  readonly details: readonly string[];
}

export interface RunRef {
  readonly runId: string;
  readonly startedAt: string;
  readonly toolVersion: string;
}

export interface RunDiff {
  readonly baseline: RunRef;
  readonly new: RunRef;
  readonly rtoThreshold: RtoThreshold;
  readonly cells: { readonly compared: number; readonly added: number; readonly gone: number };
  readonly counts: { readonly regressions: number; readonly improvements: number; readonly changes: number };
  readonly changes: readonly Change[];
}

export const VERDICT_WORDS: Record<string, string> = {
  'as-expected': 'as expected',
  unexpected: 'UNEXPECTED',
  unknown: 'UNKNOWN',
  unrecorded: 'no recorded expectation',
  'not-applicable': 'not applicable',
};

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export function cellKey(r: ScenarioResult): CellKey {
  return {
    scenarioId: r.scenarioId,
    etcd: versionKey(r),
    provider: r.provider,
    tls: r.tls,
    k8s: K8S_VERSIONS.find((v) => r.extensions.includes(K8S_EXTENSION[v])) ?? 'none',
  };
}

export function cellLabel(k: CellKey): string {
  // 1.20 keeps the bare 'k8s' its labels had before 1.36.
  const k8s = { none: [], '1.20': ['k8s'], '1.36': ['k8s 1.36'] }[k.k8s];
  const how = [k.provider, ...(k.tls ? ['tls'] : []), ...k8s];
  return `${k.scenarioId} @ ${k.etcd} (${how.join(', ')})`;
}

function cells(run: RunResult): Map<string, ScenarioResult> {
  const out = new Map<string, ScenarioResult>();
  for (const r of run.results) {
    const label = cellLabel(cellKey(r));
    if (out.has(label)) {
      throw new HarnessError(
        'BAD_INPUT',
        `run ${run.runId} holds ${label} twice: diff runs with one result per cell`,
      );
    }
    out.set(label, r);
  }
  return out;
}

/**
 * Anything → unexpected is a regression (a finding the baseline did not have); unexpected or unknown →
 * as-expected an improvement; known → unknown a regression, unknown → unknown or not-applicable a change.
 */
export function verdictEffect(from: string | undefined, to: string): Effect {
  if (from === to) return 'change';
  if (to === 'unexpected') return 'regression';
  if (to === 'unknown') return from === 'as-expected' || from === 'unexpected' ? 'regression' : 'change';
  if (to === 'as-expected' && (from === 'unexpected' || from === 'unknown')) return 'improvement';
  return 'change';
}

/** safe → anything worse, unknown → unsafe, and a known grade → unknown are regressions; → safe improves. */
export function gradeEffect(from: ProcedureGrade['grade'], to: ProcedureGrade['grade']): Effect {
  if (from === to || from === 'not-applicable' || to === 'not-applicable') return 'change';
  if (to === 'safe') return 'improvement';
  return 'regression';
}

function checkWords(c: CheckResult | undefined): string {
  if (!c) return 'not checked';
  const why = c.verdict === 'unexpected' ? ` (expected ${c.expected})` : '';
  const err = c.error ? ` (${c.error.message})` : '';
  return `${c.observed}: ${VERDICT_WORDS[c.verdict]}${why}${err}`;
}

function checkChanges(b: ScenarioResult, n: ScenarioResult): Omit<Change, 'cell' | 'label'>[] {
  const before = new Map(b.checks.map((c) => [c.id, c]));
  const after = new Map(n.checks.map((c) => [c.id, c]));
  const ids = [...new Set([...after.keys(), ...before.keys()])];
  return ids.flatMap((id) => {
    const o = before.get(id);
    const c = after.get(id);
    if (o && c && o.verdict === c.verdict && o.observed === c.observed && o.expected === c.expected)
      return [];
    const details = o && c && o.expected !== c.expected ? [`expectation ${o.expected} → ${c.expected}`] : [];
    return [
      {
        subject: 'check' as const,
        check: id,
        effect: c ? verdictEffect(o?.verdict, c.verdict) : 'change',
        unknown: c?.verdict === 'unknown',
        before: checkWords(o),
        after: checkWords(c),
        details,
      },
    ];
  });
}

function verdictWords(r: ScenarioResult): string {
  const why = r.notApplicable ?? r.error?.message;
  return `${VERDICT_WORDS[r.verdict]}${why ? `: ${why}` : ''}`;
}

/** The drill's verdict, only when its checks do not already say it (not applicable, a harness error). */
function verdictChange(b: ScenarioResult, n: ScenarioResult): Omit<Change, 'cell' | 'label'>[] {
  if (b.verdict === n.verdict) return [];
  const explained = (r: ScenarioResult) => r.checks.length > 0 && mergeVerdicts(r.checks) === r.verdict;
  if (explained(b) && explained(n)) return [];
  return [
    {
      subject: 'verdict',
      effect: verdictEffect(b.verdict, n.verdict),
      unknown: n.verdict === 'unknown',
      before: verdictWords(b),
      after: verdictWords(n),
      details: [],
    },
  ];
}

function gradeChange(b: ScenarioResult, n: ScenarioResult): Omit<Change, 'cell' | 'label'>[] {
  const [x, y] = [gradeText(b.grade), gradeText(n.grade)];
  if (x === y) return [];
  return [
    {
      subject: 'grade',
      effect: gradeEffect(b.grade.grade, n.grade.grade),
      unknown: n.grade.grade === 'unknown',
      before: x,
      after: y,
      details: [],
    },
  ];
}

const beyond = (from: number, to: number, t: RtoThreshold) =>
  to - from > t.ms && to > from * (1 + t.pct / 100);

function rtoChange(b: ScenarioResult, n: ScenarioResult, t: RtoThreshold): Omit<Change, 'cell' | 'label'>[] {
  const [x, y] = [restoreTime(b), restoreTime(n)];
  if (x === undefined || y === undefined) return [];
  const slower = beyond(x, y, t);
  if (!slower && !beyond(y, x, t)) return [];
  const [pb, pn] = [phaseTimes(b), phaseTimes(n)];
  const phases = [...new Set([...pn.keys(), ...pb.keys()])].map(
    (p) => `${p} ${pb.has(p) ? secs(pb.get(p) ?? 0) : '–'} → ${pn.has(p) ? secs(pn.get(p) ?? 0) : '–'}`,
  );
  const pct = x > 0 ? ` (${y >= x ? '+' : ''}${Math.round(((y - x) / x) * 100)}%)` : '';
  return [
    {
      subject: 'restore-time',
      effect: slower ? 'regression' : 'improvement',
      unknown: false,
      before: secs(x),
      after: `${secs(y)}${pct}`,
      details: [`phases: ${phases.join(', ')}`],
    },
  ];
}

function cellSummary(r: ScenarioResult): string {
  return r.verdict === 'not-applicable'
    ? verdictWords(r)
    : `${verdictWords(r)}; procedure ${gradeText(r.grade)}`;
}

const ref = (run: RunResult): RunRef => ({
  runId: run.runId,
  startedAt: run.startedAt,
  toolVersion: run.tool.version,
});

/** Compares two runs cell by cell: what changed, and which changes are regressions. */
export function diffRuns(
  baseline: RunResult,
  next: RunResult,
  rtoThreshold: RtoThreshold = DEFAULT_RTO_THRESHOLD,
): RunDiff {
  const [was, now] = [cells(baseline), cells(next)];
  const changes: Change[] = [];
  const add = (r: ScenarioResult, items: Omit<Change, 'cell' | 'label'>[]) => {
    const cell = cellKey(r);
    for (const i of items) changes.push({ cell, label: cellLabel(cell), ...i });
  };
  let compared = 0;
  for (const [label, b] of was) {
    const n = now.get(label);
    if (!n) {
      add(b, [
        {
          subject: 'cell',
          effect: 'change',
          unknown: false,
          before: cellSummary(b),
          after: 'gone',
          details: [],
        },
      ]);
      continue;
    }
    compared++;
    add(n, [
      ...checkChanges(b, n),
      ...verdictChange(b, n),
      ...gradeChange(b, n),
      ...rtoChange(b, n, rtoThreshold),
    ]);
  }
  for (const [label, n] of now) {
    if (was.has(label)) continue;
    add(n, [
      {
        subject: 'cell',
        effect: 'change',
        unknown: false,
        before: 'absent',
        after: cellSummary(n),
        details: [],
      },
    ]);
  }
  const count = (e: Effect) => changes.filter((c) => c.effect === e).length;
  return {
    baseline: ref(baseline),
    new: ref(next),
    rtoThreshold,
    cells: { compared, added: now.size - compared, gone: was.size - compared },
    counts: {
      regressions: count('regression'),
      improvements: count('improvement'),
      changes: count('change'),
    },
    changes,
  };
}

/** 1 when the new run regressed against the baseline, else 0. */
export const diffExitCode = (d: RunDiff): 0 | 1 => (d.counts.regressions > 0 ? 1 : 0);
