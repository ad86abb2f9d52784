import { gradeText } from '../harness/engine/grade.ts';
import { isPairKey, versionKey, versionLabel } from '../harness/pairs.ts';
import type { CheckResult, FaultRecord, Observations, RunResult, ScenarioResult } from '../harness/result.ts';
import { type KubeView, kubeReports } from './kube.ts';
import { phaseTimes } from './rto.ts';

type ProbeReport = NonNullable<Observations['components']>[number];

const VERDICT: Record<string, string> = {
  'as-expected': 'as expected',
  unexpected: 'UNEXPECTED',
  unknown: 'UNKNOWN (harness error)',
  unrecorded: 'no recorded expectation (not judged)',
  'not-applicable': 'not applicable',
};

const secs = (ms: number) => `${(ms / 1000).toFixed(1)}s`;
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function counts(r: ScenarioResult, api: 'v2' | 'v3'): string {
  const o = r.observations;
  if (api === 'v2' && o.v2NotApplicable) return 'n/a (no v2 API)';
  const b = o.backupPoint?.[api].count;
  const a = o.restored?.members[0]?.[api].keys.count;
  return `${b ?? '?'} → ${a ?? '?'}`;
}

function membership(r: ScenarioResult): string {
  const c = r.checks.find((x) => x.id === 'membership');
  if (!c) return '?';
  const d = c.evidence as { members?: number; healthy?: number } | undefined;
  return `${c.observed} (${d?.healthy ?? '?'}/${d?.members ?? '?'})`;
}

/** Where the drill ended early on etcd's own refusal, in one phrase. */
function ended(r: ScenarioResult): string | undefined {
  const { backup, restore } = r.observations;
  if (backup && backup.outcome !== 'completed') return `backup ${backup.outcome}`;
  if (restore && restore.outcome !== 'completed') return `restore ${restore.outcome}`;
  return undefined;
}

function checkTable(checks: readonly CheckResult[]): string[] {
  const lines = [
    '| check | expected | observed | verdict | expectation from |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const c of checks) {
    const why = c.error ? ` (${cell(c.error.message)})` : '';
    lines.push(
      `| ${cell(c.title)} | ${cell(c.expected)} | ${c.observed}${why} | ${VERDICT[c.verdict]} | ${cell(c.source)} |`,
    );
  }
  return lines;
}

function diffLines(c: CheckResult): string[] {
  const d = c.evidence as Record<string, unknown> | undefined;
  if (!d || !('firstMissing' in d)) return [];
  const out: string[] = [];
  for (const kind of ['Missing', 'Extra', 'Changed'] as const) {
    const n = d[kind.toLowerCase()] as number;
    const first = d[`first${kind}`] as string[];
    if (n > 0)
      out.push(
        `- ${c.id}: ${n} ${kind.toLowerCase()}${n > first.length ? ` (first ${first.length})` : ''}: ${first.map((k) => `\`${k}\``).join(', ')}`,
      );
  }
  return out;
}

const PROBE_WORDS: Record<string, string> = {
  recovered: 'recovered',
  'needs-restart': 'needs restart',
  'not-recovered': 'NOT recovered',
  unknown: 'UNKNOWN',
};

/** Outcomes grouped, the common case said once ("all 5 recovered"), the others named. */
function groupedOutcomes(items: readonly { name: string; outcome: string }[]): string {
  const by = new Map<string, string[]>();
  for (const i of items) by.set(i.outcome, [...(by.get(i.outcome) ?? []), i.name]);
  if (by.size === 1) return `all ${items.length} ${PROBE_WORDS[items[0]?.outcome ?? ''] ?? ''}`;
  return ['unknown', 'not-recovered', 'needs-restart', 'recovered']
    .flatMap((o) => {
      const names = by.get(o);
      if (!names) return [];
      return [
        o === 'recovered' && names.length > 1 ? 'others recovered' : `${PROBE_WORDS[o]}: ${names.join(', ')}`,
      ];
    })
    .join('; ');
}

/** The probes in one line, with any warnings. */
export function componentsLine(r: ScenarioResult): string {
  const reports = r.observations.components ?? [];
  if (reports.length === 0) return ended(r) ? 'not reached' : '–';
  const warn = reports.flatMap((p) => (p.warnings?.length ? [`${p.probe} ⚠ ${p.warnings.join('; ')}`] : []));
  return [groupedOutcomes(reports.map((p) => ({ name: p.probe, outcome: p.outcome }))), ...warn].join('; ');
}

const mode = (m: { ok: boolean; ms: number; error?: string | undefined }) =>
  m.error ? 'UNKNOWN' : m.ok ? `ok ${secs(m.ms)}` : `FAILED (${secs(m.ms)})`;

/** One Kubernetes report's checks in one line (1.20's unless told). */
export function k8sLine(r: ScenarioResult, key: KubeView['key'] = 'k8s'): string {
  const checks: readonly { check: string; outcome: string }[] = r.observations[key]?.checks ?? [];
  return checks.length ? groupedOutcomes(checks.map((c) => ({ name: c.check, outcome: c.outcome }))) : '';
}

/** kind's: ready again by itself after the restore (before the kept-running checks), or not. */
function selfRecoveryText(
  s: { readyMs?: number | undefined; error?: string | undefined } | undefined,
): string {
  if (!s || (s.readyMs === undefined && !s.error)) return '';
  return s.readyMs !== undefined
    ? `ready by itself for the kept-running checks (waited ${secs(s.readyMs)}); `
    : `not ready by itself for the kept-running checks (${s.error}); `;
}

/** A Kubernetes report in the drill's section: both modes per check, what failed, what exited. */
function kubeSection({ label, what, parts, report: k }: KubeView): string[] {
  const lines = [
    `Kubernetes ${k.version} ${what} (${k.origin}): ready in ${secs(k.startMs)}; ${selfRecoveryText(k.selfRecovery)}restarted after the restore in ${secs(k.restartMs)}.`,
    '',
    `| ${label} check | ${parts} kept running | after restarting ${parts === 'apiserver' ? 'it' : 'them'} | outcome |`,
    '| --- | --- | --- | --- |',
    ...k.checks.map(
      (c) => `| ${c.check} | ${mode(c.kept)} | ${mode(c.restarted)} | ${PROBE_WORDS[c.outcome]} |`,
    ),
  ];
  const failed = k.checks.flatMap((c) =>
    (['kept', 'restarted'] as const)
      .filter((m) => !c[m].ok || c[m].error)
      .map(
        (m) =>
          `- ${c.check} (${m === 'kept' ? 'kept running' : 'restarted'}): ${cell(c[m].error ?? JSON.stringify(c[m].evidence)).slice(0, 400)}`,
      ),
  );
  if (failed.length) lines.push('', ...failed);
  if (k.exits.length)
    lines.push(
      '',
      `${label} processes that exited on their own (restarted by the supervisor, or on kind by kubelet): ${k.exits
        .map((e) => `${e.component} at ${e.at} (${e.how}: ${cell(e.reason)})`)
        .join('; ')}.`,
    );
  return lines;
}

function probeTime(p: ProbeReport): string {
  if (p.recoverMs !== undefined) return secs(p.recoverMs);
  if (p.restartRecoverMs !== undefined) return `after restart ${secs(p.restartRecoverMs)}`;
  return 'never';
}

/** The evidence a person needs to believe the outcome, in a table cell. */
function probeEvidence(p: ProbeReport): string {
  return Object.entries(p.evidence)
    .filter(([, v]) => !(Array.isArray(v) && v.length === 0))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(', ')
    .slice(0, 400);
}

function observed(r: ScenarioResult, id: string): string {
  if (id === 'v2-data' && r.observations.v2NotApplicable) return 'n/a (no v2 API)';
  return r.checks.find((c) => c.id === id)?.observed ?? '?';
}

/** One cell of the version matrix: both APIs' outcome, membership, time; flagged where it differs from the expectation. */
function matrixCell(r: ScenarioResult | undefined): string {
  if (!r) return '';
  if (r.verdict === 'not-applicable') return `n/a: ${cell(r.notApplicable ?? '')}`;
  if (r.verdict === 'unknown') return `UNKNOWN: ${cell(r.error?.message ?? '')}`.slice(0, 160);
  const flag = r.verdict === 'unexpected' ? ' ⚠ differs from expectation' : '';
  const grade = ` · **${cell(gradeText(r.grade))}**`;
  const stop = ended(r);
  if (stop) return `${cell(stop)}${grade} · ${secs(r.durationMs)}${flag}`;
  const o = r.observations;
  const components = o.components ? ` · components: ${cell(componentsLine(r))}` : '';
  const k8s = kubeReports(o)
    .map((k) => ` · ${k.label}: ${cell(k8sLine(r, k.key))}`)
    .join('');
  return `v2 ${observed(r, 'v2-data')} · v3 ${observed(r, 'v3-data')} · ${observed(r, 'membership')}${components}${k8s}${grade} · ${secs(r.durationMs)}${flag}`;
}

/** Rows = scenarios (strategies), columns = etcd versions or pairs (backup → restore). */
export function renderMatrix(results: readonly ScenarioResult[]): string[] {
  const versions = [...new Set(results.map(versionKey))].sort();
  const ids = [...new Set(results.map((r) => r.scenarioId))];
  const lines = [
    `| scenario (strategy) | ${versions.map(versionLabel).join(' | ')} |`,
    `| --- |${versions.map(() => ' --- |').join('')}`,
  ];
  for (const id of ids) {
    const row = versions.map((v) =>
      matrixCell(results.find((r) => r.scenarioId === id && versionKey(r) === v)),
    );
    const strategy = results.find((r) => r.scenarioId === id)?.strategy ?? '';
    lines.push(`| ${id} (${strategy}) | ${row.join(' | ')} |`);
  }
  return lines;
}

const EXIT_EXPECTED = [
  'every verdict as expected',
  'a verdict differs from its expectation',
  'a harness error left a verdict unknown',
];
const EXIT_SAFE = ['every procedure safe', 'a procedure is not safe', 'a harness error left a grade unknown'];

/** The summary a person reads in a CI log or a PR comment; the console prints the same text. */
/** Each fault: injected and healed when, and what the cluster said before, meanwhile and after. */
export function faultTimeline(faults: readonly FaultRecord[]): string[] {
  if (faults.length === 0) return [];
  const lines = ['| at | fault | what the cluster said |', '| --- | --- | --- |'];
  for (const f of faults) {
    lines.push(
      `| ${secs(f.injectedAtMs)} | ${f.fault} (${f.at}): ${f.description} | before: ${f.healthBefore ?? '–'} |`,
    );
    for (const t of f.timeline ?? []) lines.push(`| ${secs(t.atMs)} | | ${t.health} |`);
    if (f.healedAtMs !== undefined)
      lines.push(`| ${secs(f.healedAtMs)} | healed ${f.fault} | after: ${f.healthAfter ?? '–'} |`);
  }
  return [...lines, ''];
}

/** Checks nothing was recorded for: said plainly, since their verdict neither passes nor fails the run. */
function unrecordedLine(r: ScenarioResult): string[] {
  const u = r.checks.filter((c) => c.verdict === 'unrecorded');
  if (u.length === 0) return [];
  const what = u.map((c) => `${c.id} observed ${c.observed}`).join('; ');
  return [
    `No recorded expectation for ${u.length} check(s), so they were not judged and do not fail --require expected (--require safe still grades what they observed): ${what}.`,
    '',
  ];
}

export function renderSummary(run: RunResult): string {
  const keys = new Set(run.results.map(versionKey));
  const multi = keys.size > 1 || [...keys].some(isPairKey);
  const lines = [
    `# etcd-drill run ${run.runId}`,
    '',
    ...(multi ? ['## Version matrix', '', ...renderMatrix(run.results), ''] : []),
    '| scenario | etcd | provider | v3 keys (backup → restored) | v2 entries (backup → restored) | membership | components | procedure | regression | time |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of run.results) {
    lines.push(
      `| ${r.scenarioId} | ${versionLabel(versionKey(r))} | ${r.provider}${r.tls ? ' (TLS)' : ''} | ${counts(r, 'v3')} | ${counts(r, 'v2')} | ${membership(r)} | ${cell(componentsLine(r))} | ${cell(gradeText(r.grade))} | ${VERDICT[r.verdict]} | ${secs(r.durationMs)} |`,
    );
  }
  for (const r of run.results) {
    lines.push(
      '',
      `## ${r.scenarioId} on etcd ${versionLabel(versionKey(r))}: ${cell(gradeText(r.grade))} · ${VERDICT[r.verdict]}`,
      '',
      r.title,
      '',
      `Procedure: ${gradeText(r.grade)}. Regression: ${VERDICT[r.verdict]}.`,
      '',
    );
    if (r.notApplicable) lines.push(`Not applicable: ${r.notApplicable}`);
    const v2 = r.observations.v2NotApplicable;
    if (v2) lines.push(`v2 part (seeding, reads, the v2 data check) not applicable: ${v2}`, '');
    if (r.error) {
      let e = r.error;
      const chain = [e.message];
      while (e.cause) {
        e = e.cause;
        chain.push(e.message);
      }
      lines.push(`Harness error (${r.error.code ?? 'error'}): ${chain.join(' ← ')}`, '');
    }
    const o = r.observations;
    for (const [phase, st] of [
      ['backup', o.backup],
      ['restore', o.restore],
    ] as const) {
      if (st && st.outcome !== 'completed')
        lines.push(`The ${phase} ${st.outcome} at "${st.step}": ${st.quote}`, '');
    }
    lines.push(...faultTimeline(r.faults), ...unrecordedLine(r));
    const lost = Object.entries(o.errors ?? {});
    if (lost.length)
      lines.push(
        `Not observed (harness errors): ${lost.map(([k, e]) => `${k}: ${e.message}`).join('; ')}.`,
        '',
      );
    const status = o.snapshotBeforeRestore;
    if (status) {
      lines.push(
        `Snapshot status before the restore: ${
          'error' in status
            ? `failed: ${String(status.error)}`
            : Object.entries(status)
                .map(([k, v]) => `${k} ${String(v)}`)
                .join(', ')
        }.`,
        '',
      );
    }
    if (r.checks.length > 0) lines.push(...checkTable(r.checks), '');
    const diffs = r.checks.flatMap(diffLines);
    if (diffs.length > 0) lines.push(...diffs, '');
    if (o.components?.length) {
      lines.push(
        '| component probe | outcome | time to agree with etcd | evidence |',
        '| --- | --- | --- | --- |',
      );
      for (const p of o.components) {
        lines.push(
          `| ${p.probe} | ${PROBE_WORDS[p.outcome]}${p.warnings?.length ? ` ⚠ ${cell(p.warnings.join('; '))}` : ''} | ${probeTime(p)} | ${cell(probeEvidence(p))} |`,
        );
      }
      lines.push('');
    }
    for (const k of kubeReports(o)) lines.push(...kubeSection(k), '');
    const bt = o.backupPoint?.byType;
    const at = o.restored?.byType;
    if (bt && at && Object.keys(bt).length > 0) {
      const types = [...new Set([...Object.keys(bt), ...Object.keys(at)])].sort();
      const changed = types.filter((t) => (bt[t] ?? 0) !== (at[t] ?? 0));
      lines.push(
        `Kubernetes objects per type (backup → restored): ${types
          .map((t) => `${t} ${bt[t] ?? 0}${(bt[t] ?? 0) === (at[t] ?? 0) ? '' : ` → ${at[t] ?? 0}`}`)
          .join(', ')}${changed.length ? ` (${changed.length} type(s) differ)` : ' (all equal)'}.`,
        '',
      );
    }
    const peer = o.strategy?.peerUrlsAfterFirstStart;
    const before = o.backupPoint?.membership;
    const after = o.restored?.membership;
    if (before && after) {
      const same =
        before.clusterId === after.clusterId ? 'unchanged' : `${before.clusterId} → ${after.clusterId}`;
      const rv = o.revisions;
      const seen = rv
        ? ` Clients had seen up to ${rv.maxSeenBeforeDisaster}; the restored cluster started at ${rv.firstSeenAfterDisaster}${rv.firstSeenAfterDisaster < rv.maxSeenBeforeDisaster ? ' (backwards)' : ''}.`
        : '';
      lines.push(
        `Cluster ID: ${same}. Revision at backup ${o.backupPoint?.revision}, when read after restore ${o.restored?.revision}.${seen}`,
      );
    }
    if (peer) lines.push(`Peer URLs of the first restored member after its first start: ${peer.join(', ')}.`);
    // Per phase first: at a million keys, which phase took the time is the question.
    const phases = [...phaseTimes(r)].map(([p, ms]) => `${p} ${secs(ms)}`);
    if (phases.length) lines.push('', `Time per phase: ${phases.join(', ')}.`);
    lines.push('', '| phase | step | took |', '| --- | --- | --- |');
    for (const st of r.steps)
      lines.push(`| ${st.phase} | ${st.ok ? '' : '✗ '}${cell(st.title)} | ${secs(st.durationMs)} |`);
    if (r.kept) lines.push('', `Kept running: ${r.kept.endpoints.join(',')} (remove with: etcd-drill clean)`);
  }
  lines.push(
    '',
    ...shardLines(run),
    `Exit code ${run.exitCode}: ${exitText(run)}${run.require === 'safe' ? ' (--require safe: the exit code follows the procedure grades)' : ''}.`,
  );
  return `${lines.join('\n')}\n`;
}

function exitText(run: RunResult): string {
  if (run.exitCode === 2 && run.merged?.missing.length) return 'cells of the matrix are missing';
  return (run.require === 'safe' ? EXIT_SAFE : EXIT_EXPECTED)[run.exitCode] ?? 'interrupted';
}

/** A shard says it is one; a partial merge names what it lacks. */
function shardLines(run: RunResult): string[] {
  const missing = run.merged?.missing ?? [];
  if (missing.length)
    return [`Partial merge: ${missing.length} cell(s) of the matrix missing: ${missing.join(', ')}.`, ''];
  if (run.shard)
    return [
      `Shard ${run.shard.index}/${run.shard.total}: ${run.shard.cells.length} of ${run.shard.of.length} cells of the matrix.`,
      '',
    ];
  return [];
}
