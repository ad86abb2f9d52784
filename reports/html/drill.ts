import { gradeText } from '../../harness/engine/grade.ts';
import { PHASES } from '../../harness/engine/phases.ts';
import { versionKey, versionLabel } from '../../harness/pairs.ts';
import type { CheckResult, FaultRecord, ScenarioResult } from '../../harness/result.ts';
import { kubeReports } from '../kube.ts';
import { esc } from './assets.ts';

export const secs = (ms: number) => `${(ms / 1000).toFixed(1)}s`;
const n = (v: number | undefined) => (v === undefined ? '?' : String(v));

export const VERDICT_WORDS: Record<string, string> = {
  'as-expected': '✓ as expected',
  unexpected: '⚠ unexpected',
  unknown: '? unknown',
  unrecorded: '– no recorded expectation',
  'not-applicable': 'not applicable',
};

/** One table: a header row and rows of already-escaped cells. */
function table(head: readonly string[], rows: readonly (readonly string[])[], cls = ''): string {
  const th = head.map((h) => `<th>${esc(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('\n');
  return `<table${cls ? ` class="${cls}"` : ''}><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

const chart = (kind: string, title: string, height: number) =>
  `<div class="chart" style="height:${height}px"><canvas data-chart="${kind}" role="img" aria-label="${esc(title)}"></canvas></div>`;

/** The data attributes the filters match on, shared by a matrix cell and its section. */
export const filterData = (r: ScenarioResult) =>
  `data-version="${esc(versionKey(r))}" data-strategy="${esc(r.strategy)}" data-verdict="${esc(r.verdict)}" data-grade="${esc(r.grade.grade)}"`;

function errorChain(r: ScenarioResult): string {
  if (!r.error) return '';
  const chain: string[] = [];
  for (let e: typeof r.error | undefined = r.error; e; e = e.cause) chain.push(e.message);
  return `<p class="error">Harness error (${esc(r.error.code ?? 'error')}): ${esc(chain.join(' ← '))}</p>`;
}

/** Time in each phase (the steps' durations summed) and where it sat in the drill. */
function phases(r: ScenarioResult): string {
  if (r.steps.length === 0) return '<p>No steps ran.</p>';
  const order = [...PHASES, ...new Set(r.steps.map((s) => s.phase))];
  const rows = [...new Set(order)].flatMap((p) => {
    const steps = r.steps.filter((s) => s.phase === p);
    if (steps.length === 0) return [];
    const from = Math.min(...steps.map((s) => s.startMs));
    const to = Math.max(...steps.map((s) => s.startMs + s.durationMs));
    const took = steps.reduce((t, s) => t + s.durationMs, 0);
    const failed = steps.filter((s) => !s.ok).map((s) => `✗ ${s.title}`);
    return [
      [esc(p), secs(took), `${secs(from)} – ${secs(to)}`, String(steps.length), esc(failed.join('; '))],
    ];
  });
  return `<h4>Phase timeline</h4>${chart('timeline', `phase timeline of ${r.scenarioId}`, 200)}
${table(['phase', 'time in phase', 'from – to', 'steps', 'failed steps'], rows)}`;
}

function faults(list: readonly FaultRecord[]): string {
  if (list.length === 0) return '';
  const rows = list.flatMap((f) => [
    [
      secs(f.injectedAtMs),
      `${esc(f.fault)} (${esc(f.at)}): ${esc(f.description)}`,
      `before: ${esc(f.healthBefore ?? '–')}`,
    ],
    ...(f.timeline ?? []).map((t) => [secs(t.atMs), '', esc(t.health)]),
    ...(f.healedAtMs === undefined
      ? []
      : [[secs(f.healedAtMs), `healed ${esc(f.fault)}`, `after: ${esc(f.healthAfter ?? '–')}`]]),
  ]);
  return `<h4>Faults</h4>${table(['at', 'fault', 'what the cluster said'], rows)}`;
}

/** Members disagree: on their data (outcome or hash) or on their hashkv. */
export function membersDiverge(r: ScenarioResult): boolean {
  const o = r.observations;
  const data = new Set(
    (o.restored?.members ?? []).map(
      (m) => `${m.v2.outcome}|${m.v2.keys.sha256}|${m.v3.outcome}|${m.v3.keys.sha256}`,
    ),
  );
  const hashes = new Set((o.integrity?.hashes ?? []).map((h) => h.hash));
  return data.size > 1 || hashes.size > 1 || r.checks.some((c) => c.observed === 'divergent');
}

const short = (sha: string) => `<span class="hash">${esc(sha.slice(0, 10))}</span>`;

function counts(r: ScenarioResult): string {
  const o = r.observations;
  const members = o.restored?.members ?? [];
  const row = (api: 'v2' | 'v3') => [
    api === 'v2' ? 'v2 entries' : 'v3 keys',
    n(o.seeded?.[api]),
    n(o.backupPoint?.[api].count),
    n(o.beforeDisaster?.[api].count),
    members.length === 0
      ? '?'
      : esc([...new Set(members.map((m) => `${m[api].keys.count} (${m[api].outcome})`))].join(' / ')),
  ];
  return `<h4>Keys before and after</h4>${chart('counts', `key counts of ${r.scenarioId}`, 220)}
${table(['', 'seeded', 'backup point', 'before the disaster', 'restored'], [row('v2'), row('v3')])}`;
}

function byType(r: ScenarioResult): string {
  const before = r.observations.backupPoint?.byType ?? {};
  const after = r.observations.restored?.byType ?? {};
  const types = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  if (types.length === 0) return '';
  const rows = types.map((t) => {
    const differs = before[t] !== after[t];
    return [
      esc(t),
      n(before[t]),
      `${differs ? '<span class="diverge">' : ''}${n(after[t])}${differs ? '</span>' : ''}`,
    ];
  });
  return `<h4>Kubernetes objects per type</h4>${chart('types', `objects per type of ${r.scenarioId}`, 240)}
${table(['type', 'backup point', 'restored'], rows)}`;
}

function members(r: ScenarioResult): string {
  const o = r.observations;
  const list = o.restored?.members ?? [];
  if (list.length === 0) return '';
  if (!membersDiverge(r)) return `<p>All ${list.length} restored members agree (same data and hashes).</p>`;
  const hash = new Map((o.integrity?.hashes ?? []).map((h) => [h.member, String(h.hash)]));
  const health = new Map((o.restored?.health.members ?? []).map((m) => [m.name, m]));
  const rows = list.map((m) => {
    const h = health.get(m.name);
    return [
      esc(m.name),
      `${esc(m.v2.outcome)}: ${m.v2.keys.count} ${short(m.v2.keys.sha256)}`,
      `${esc(m.v3.outcome)}: ${m.v3.keys.count} ${short(m.v3.keys.sha256)}`,
      esc(hash.get(m.name) ?? '?'),
      h ? esc(h.healthy ? 'healthy' : `unhealthy${h.reason ? ` (${h.reason})` : ''}`) : '?',
    ];
  });
  return `<h4 class="diverge">Members diverge</h4>${table(['member', 'v2', 'v3', 'hashkv', 'health'], rows)}`;
}

function probes(r: ScenarioResult): string {
  const list = r.observations.components ?? [];
  if (list.length === 0) return '';
  const rows = list.map((p) => [
    esc(p.probe),
    esc(p.outcome),
    p.recoverMs === undefined ? '–' : secs(p.recoverMs),
    p.restartRecoverMs === undefined ? '–' : secs(p.restartRecoverMs),
    esc([...(p.warnings ?? []), ...(p.error ? [p.error] : [])].join('; ')),
  ]);
  return `<h4>Component probes</h4>${table(['probe', 'outcome', 'recovered in', 'after a restart', 'warnings / error'], rows)}`;
}

/** Each Kubernetes report, headed with its version and what ran (1.20 control plane, 1.36 storage layer). */
function k8s(r: ScenarioResult): string {
  const mode = (m: { ok: boolean; ms: number; error?: string | undefined }) =>
    m.error ? 'unknown' : m.ok ? `ok ${secs(m.ms)}` : `failed (${secs(m.ms)})`;
  return kubeReports(r.observations)
    .map(({ what, report: k }) => {
      const rows = k.checks.map((c) => [
        esc(c.check),
        esc(mode(c.kept)),
        esc(mode(c.restarted)),
        esc(c.outcome),
      ]);
      return `<h4>Kubernetes ${esc(k.version)} ${esc(what)}</h4>${table(['check', 'kept running', 'restarted', 'outcome'], rows)}`;
    })
    .join('\n');
}

function checks(list: readonly CheckResult[]): string {
  if (list.length === 0) return '';
  const rows = list.map((c) => [
    esc(c.title),
    esc(c.expected),
    `${esc(c.observed)}${c.error ? ` <span class="error">(${esc(c.error.message)})</span>` : ''}`,
    `<span class="verdict verdict-${esc(c.verdict)}">${esc(VERDICT_WORDS[c.verdict] ?? c.verdict)}</span>`,
    esc(c.source),
  ]);
  return `<h4>Checks</h4>${table(['check', 'expected', 'observed', 'verdict', 'expectation from'], rows)}`;
}

/** One drill's section: closed until a matrix cell or its summary opens it; charts draw on opening. */
export function drillSection(r: ScenarioResult, i: number): string {
  const grade = `grade-${esc(r.grade.grade)}`;
  return `<details class="drill ${grade} verdict-${esc(r.verdict)}" id="d${i}" data-drill="${i}" ${filterData(r)}>
<summary>${esc(r.scenarioId)} on etcd ${esc(versionLabel(versionKey(r)))}: ${esc(gradeText(r.grade))} <span class="verdict verdict-${esc(r.verdict)}">${esc(VERDICT_WORDS[r.verdict] ?? r.verdict)}</span></summary>
<p>${esc(r.title)}</p>
<p class="meta">Strategy ${esc(r.strategy)} · ${esc(r.provider)}${r.tls ? ' (TLS)' : ''} · etcd ${esc(r.etcd.version)} (${esc(r.etcd.origin)})${r.restoreEtcd ? `, restored with etcd ${esc(r.restoreEtcd.version)} (${esc(r.restoreEtcd.origin)})` : ''} · ${r.clusterSize} members${r.extensions.length ? ` · with ${esc(r.extensions.join(', '))}` : ''} · ${secs(r.durationMs)}</p>
<p>Procedure: <b>${esc(gradeText(r.grade))}</b>. Regression: <b>${esc(VERDICT_WORDS[r.verdict] ?? r.verdict)}</b>.</p>
${r.notApplicable ? `<p>Not applicable: ${esc(r.notApplicable)}</p>` : ''}${errorChain(r)}
${phases(r)}
${faults(r.faults)}
${r.notApplicable ? '' : counts(r)}
${byType(r)}
${members(r)}
${probes(r)}
${k8s(r)}
${checks(r.checks)}
</details>`;
}
