import type { ProbeReport } from '../harness/probes/types.ts';
import type { CheckResult, RunResult, ScenarioResult } from '../harness/result.ts';

const VERDICT: Record<string, string> = {
  'as-expected': 'as expected',
  unexpected: 'UNEXPECTED',
  unknown: 'UNKNOWN (harness error)',
  'not-applicable': 'not applicable',
};

const secs = (ms: number) => `${(ms / 1000).toFixed(1)}s`;
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function counts(r: ScenarioResult, api: 'v2' | 'v3'): string {
  const b = r.counts.backup?.[api];
  const a = r.counts.restored?.[api];
  return `${b ?? '?'} → ${a ?? '?'}`;
}

function membership(r: ScenarioResult): string {
  const c = r.checks.find((x) => x.id === 'membership');
  if (!c) return '?';
  const d = c.details as { members?: number; healthy?: number } | undefined;
  return `${c.observed} (${d?.healthy ?? '?'}/${d?.members ?? '?'})`;
}

function checkTable(checks: readonly CheckResult[]): string[] {
  const lines = [
    '| check | expected | observed | verdict | expectation from |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const c of checks) {
    lines.push(
      `| ${cell(c.title)} | ${c.expected} | ${c.observed} | ${VERDICT[c.verdict]} | ${cell(c.source)} |`,
    );
  }
  return lines;
}

function diffLines(c: CheckResult): string[] {
  const d = c.details as Record<string, unknown> | undefined;
  if (!d || !('missing' in d)) return [];
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
};

/** Outcomes grouped, the common case said once ("all 5 recovered"), the others named. */
function groupedOutcomes(items: readonly { name: string; outcome: string }[]): string {
  const by = new Map<string, string[]>();
  for (const i of items) by.set(i.outcome, [...(by.get(i.outcome) ?? []), i.name]);
  if (by.size === 1) return `all ${items.length} ${PROBE_WORDS[items[0]?.outcome ?? ''] ?? ''}`;
  return ['not-recovered', 'needs-restart', 'recovered']
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
  const reports = r.components ?? [];
  if (reports.length === 0) return r.refusal ? 'not reached' : '–';
  const warn = reports.flatMap((p) => (p.warnings?.length ? [`${p.probe} ⚠ ${p.warnings.join('; ')}`] : []));
  return [groupedOutcomes(reports.map((p) => ({ name: p.probe, outcome: p.outcome }))), ...warn].join('; ');
}

const mode = (m: { ok: boolean; ms: number }) => (m.ok ? `ok ${secs(m.ms)}` : `FAILED (${secs(m.ms)})`);

/** The control-plane checks in one line. */
export function k8sLine(r: ScenarioResult): string {
  const checks = r.k8s?.checks ?? [];
  return checks.length ? groupedOutcomes(checks.map((c) => ({ name: c.check, outcome: c.outcome }))) : '';
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
  return r.checks.find((c) => c.id === id)?.observed ?? '?';
}

/** One cell of the version matrix: both APIs' outcome, membership, time; flagged where it differs from the expectation. */
function matrixCell(r: ScenarioResult | undefined): string {
  if (!r) return '';
  if (r.verdict === 'not-applicable') return `n/a: ${cell(r.notApplicable ?? '')}`;
  if (r.verdict === 'unknown') return `UNKNOWN: ${cell(r.error?.message ?? '')}`.slice(0, 160);
  const flag = r.verdict === 'unexpected' ? ' ⚠ differs from expectation' : '';
  if (r.refusal) return `restore ${cell(r.refusal.outcome)} · ${secs(r.durationMs)}${flag}`;
  const components = r.components ? ` · components: ${cell(componentsLine(r))}` : '';
  const k8s = r.k8s ? ` · Kubernetes: ${cell(k8sLine(r))}` : '';
  return `v2 ${observed(r, 'v2-data')} · v3 ${observed(r, 'v3-data')} · ${observed(r, 'membership')}${components}${k8s} · ${secs(r.durationMs)}${flag}`;
}

/** Rows = scenarios (strategies), columns = etcd versions. */
export function renderMatrix(results: readonly ScenarioResult[]): string[] {
  const versions = [...new Set(results.map((r) => r.etcd.version))].sort();
  const ids = [...new Set(results.map((r) => r.scenarioId))];
  const lines = [
    `| scenario (strategy) | ${versions.join(' | ')} |`,
    `| --- |${versions.map(() => ' --- |').join('')}`,
  ];
  for (const id of ids) {
    const row = versions.map((v) =>
      matrixCell(results.find((r) => r.scenarioId === id && r.etcd.version === v)),
    );
    const strategy = results.find((r) => r.scenarioId === id)?.strategy ?? '';
    lines.push(`| ${id} (${strategy}) | ${row.join(' | ')} |`);
  }
  return lines;
}

/** The summary a person reads in a CI log or a PR comment; the console prints the same text. */
export function renderSummary(run: RunResult): string {
  const multi = new Set(run.results.map((r) => r.etcd.version)).size > 1;
  const lines = [
    `# etcd-drill run ${run.runId}`,
    '',
    ...(multi ? ['## Version matrix', '', ...renderMatrix(run.results), ''] : []),
    '| scenario | etcd | provider | v3 keys (backup → restored) | v2 entries (backup → restored) | membership | components | verdict | time |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of run.results) {
    lines.push(
      `| ${r.scenarioId} | ${r.etcd.version} | ${r.provider}${r.tls ? ' (TLS)' : ''} | ${counts(r, 'v3')} | ${counts(r, 'v2')} | ${membership(r)} | ${cell(componentsLine(r))} | ${VERDICT[r.verdict]} | ${secs(r.durationMs)} |`,
    );
  }
  for (const r of run.results) {
    lines.push('', `## ${r.scenarioId} on etcd ${r.etcd.version}: ${VERDICT[r.verdict]}`, '', r.title, '');
    if (r.notApplicable) lines.push(`Not applicable: ${r.notApplicable}`);
    if (r.error) {
      let e = r.error;
      const chain = [e.message];
      while (e.cause) {
        e = e.cause;
        chain.push(e.message);
      }
      lines.push(`Harness error (${r.error.code ?? 'error'}): ${chain.join(' ← ')}`, '');
    }
    if (r.refusal) {
      lines.push(`etcd refused the restore at "${r.refusal.step}": ${r.refusal.quote}`, '');
    }
    const status = r.notes.snapshotBeforeRestore as Record<string, unknown> | undefined;
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
    if (r.components?.length) {
      lines.push(
        '| component probe | outcome | time to agree with etcd | evidence |',
        '| --- | --- | --- | --- |',
      );
      for (const p of r.components) {
        lines.push(
          `| ${p.probe} | ${PROBE_WORDS[p.outcome]}${p.warnings?.length ? ` ⚠ ${cell(p.warnings.join('; '))}` : ''} | ${probeTime(p)} | ${cell(probeEvidence(p))} |`,
        );
      }
      lines.push('');
    }
    if (r.k8s) {
      const k = r.k8s;
      lines.push(
        `Kubernetes ${k.version} control plane (${k.origin}): ready in ${secs(k.startMs)}; restarted after the restore in ${secs(k.restartMs)}.`,
        '',
        '| Kubernetes check | components kept running | after restarting them | outcome |',
        '| --- | --- | --- | --- |',
      );
      for (const c of k.checks) {
        lines.push(`| ${c.check} | ${mode(c.kept)} | ${mode(c.restarted)} | ${PROBE_WORDS[c.outcome]} |`);
      }
      const failed = k.checks.flatMap((c) =>
        (['kept', 'restarted'] as const)
          .filter((m) => !c[m].ok)
          .map(
            (m) =>
              `- ${c.check} (${m === 'kept' ? 'kept running' : 'restarted'}): ${cell(JSON.stringify(c[m].evidence)).slice(0, 400)}`,
          ),
      );
      if (failed.length) lines.push('', ...failed);
      if (k.exits.length) {
        lines.push(
          '',
          `Components that exited on their own (restarted by the supervisor, as kubelet restarts static pods): ${k.exits
            .map((e) => `${e.component} at ${e.at} (${e.how}: ${cell(e.reason)})`)
            .join('; ')}.`,
        );
      }
      lines.push('');
    }
    const types = r.counts.byType;
    if (types && Object.keys(types).length > 0) {
      const changed = Object.entries(types).filter(([, c]) => c.backup !== c.restored);
      lines.push(
        `Kubernetes objects per type (backup → restored): ${Object.entries(types)
          .map(([t, c]) => `${t} ${c.backup}${c.backup === c.restored ? '' : ` → ${c.restored}`}`)
          .join(', ')}${changed.length ? ` (${changed.length} type(s) differ)` : ' (all equal)'}.`,
        '',
      );
    }
    const peer = r.notes.peerUrlsAfterFirstStart as string[] | undefined;
    const before = r.membership.before;
    const after = r.membership.after;
    if (before && after) {
      const same =
        before.clusterId === after.clusterId ? 'unchanged' : `${before.clusterId} → ${after.clusterId}`;
      const rv = r.revisions;
      const seen =
        rv.maxSeenBeforeDisaster !== undefined && rv.firstSeenAfterDisaster !== undefined
          ? ` Clients had seen up to ${rv.maxSeenBeforeDisaster}; the restored cluster started at ${rv.firstSeenAfterDisaster}${rv.firstSeenAfterDisaster < rv.maxSeenBeforeDisaster ? ' (backwards)' : ''}.`
          : '';
      lines.push(
        `Cluster ID: ${same}. Revision at backup ${rv.backup}, when read after restore ${rv.restored}.${seen}`,
      );
    }
    if (peer) lines.push(`Peer URLs of the first restored member after its first start: ${peer.join(', ')}.`);
    lines.push('', '| step | took |', '| --- | --- |');
    for (const st of r.steps)
      lines.push(`| ${st.ok ? '' : '✗ '}${cell(st.title)} | ${secs(st.durationMs)} |`);
    if (r.kept) lines.push('', `Kept running: ${r.kept.endpoints.join(',')} (remove with: etcd-drill clean)`);
  }
  lines.push(
    '',
    `Exit code ${run.exitCode}: ${['every verdict as expected', 'a verdict differs from its expectation', 'a harness error left a verdict unknown'][run.exitCode] ?? 'interrupted'}.`,
  );
  return `${lines.join('\n')}\n`;
}
