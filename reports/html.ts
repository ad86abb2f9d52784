import { PHASES } from '../harness/engine/phases.ts';
import { versionKey, versionLabel } from '../harness/pairs.ts';
import type { RunResult, ScenarioResult } from '../harness/result.ts';
import { assets, esc, scriptJson } from './html/assets.ts';
import { drillSection, filterData, secs, VERDICT_WORDS } from './html/drill.ts';

const GRADE_WORDS: Record<string, string> = {
  safe: 'safe',
  unsafe: 'unsafe',
  unknown: 'unknown',
  'not-applicable': 'not applicable',
};

const EXIT_WORDS: Record<number, string> = {
  0: 'nothing found',
  1: 'a finding',
  2: 'something is unknown (a harness error)',
  130: 'interrupted',
};

/** One drill in the matrix: coloured by its procedure grade, its regression verdict marked. */
function cell(r: ScenarioResult, i: number): string {
  const reasons = r.grade.grade === 'safe' ? '' : (r.notApplicable ?? r.grade.reasons.join('; '));
  return `<a class="cell grade-${esc(r.grade.grade)} verdict-${esc(r.verdict)}" href="#d${i}" data-drill="${i}" ${filterData(r)} title="${esc(r.scenarioId)} on ${esc(versionLabel(versionKey(r)))}">\
<span class="grade">${esc(GRADE_WORDS[r.grade.grade] ?? r.grade.grade)}</span>\
<span class="verdict verdict-${esc(r.verdict)}">${esc(VERDICT_WORDS[r.verdict] ?? r.verdict)}</span>\
${reasons ? `<span class="reasons">${esc(reasons)}</span>` : ''}<span class="time">${secs(r.durationMs)}</span></a>`;
}

/** Rows: scenario (strategy); columns: etcd version. Every drill is one cell, even two of one pair. */
export function matrixHtml(results: readonly ScenarioResult[]): string {
  const versions = [...new Set(results.map(versionKey))].sort();
  const ids = [...new Set(results.map((r) => r.scenarioId))];
  const head = versions.map((v) => `<th>etcd ${esc(versionLabel(v))}</th>`).join('');
  const rows = ids.map((id) => {
    const strategy = results.find((r) => r.scenarioId === id)?.strategy ?? '';
    const tds = versions.map((v) => {
      const cells = results.flatMap((r, i) =>
        r.scenarioId === id && versionKey(r) === v ? [cell(r, i)] : [],
      );
      return `<td>${cells.join('')}</td>`;
    });
    return `<tr data-strategy="${esc(strategy)}"><th>${esc(id)}<br><small>${esc(strategy)}</small></th>${tds.join('')}</tr>`;
  });
  return `<table class="matrix"><thead><tr><th>scenario (strategy)</th>${head}</tr></thead><tbody>
${rows.join('\n')}
</tbody></table>`;
}

function select(name: string, label: string, values: readonly string[]): string {
  const opts = [...new Set(values)].sort().map((v) => `<option value="${esc(v)}">${esc(v)}</option>`);
  return `<label>${esc(label)} <select name="${name}"><option value="">all</option>${opts.join('')}</select></label>`;
}

/** Shown only once the script runs: without it the page is the static matrix and sections. */
function filters(results: readonly ScenarioResult[]): string {
  return `<form id="filters" hidden>
${select('version', 'etcd version', results.map(versionKey))}
${select(
  'strategy',
  'strategy',
  results.map((r) => r.strategy),
)}
${select(
  'verdict',
  'verdict',
  results.map((r) => r.verdict),
)}
${select(
  'grade',
  'procedure',
  results.map((r) => r.grade.grade),
)}
<span id="shown"></span></form>`;
}

const LEGEND = `<p class="legend">Procedure: ${['safe', 'unsafe', 'unknown', 'not-applicable']
  .map((g) => `<span><span class="swatch grade-${g}"></span>${GRADE_WORDS[g]}</span>`)
  .join('')} · Regression verdict: ${Object.keys(VERDICT_WORDS)
  .map((v) => `<span class="verdict verdict-${v}">${esc(VERDICT_WORDS[v])}</span>`)
  .join(' ')}</p>`;

/** The HTML report: one self-contained file (styles, chart.js and data inlined), nothing fetched. */
export function renderHtml(run: RunResult): string {
  const { chartJs, clientJs, css } = assets();
  const title = `etcd-drill run ${run.runId}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>
${css}</style>
</head>
<body>
<h1>${esc(title)}</h1>
<p class="meta">${esc(run.tool.name)} ${esc(run.tool.version)} · ${esc(run.startedAt)} – ${esc(run.finishedAt)} · ${run.results.length} drills · exit code follows ${run.require === 'safe' ? 'the procedure grades (--require safe)' : 'the regression verdicts'}</p>
<p class="exit-${run.exitCode}"><b>Exit code ${run.exitCode}: ${esc(EXIT_WORDS[run.exitCode] ?? '')}</b></p>
<h2>Strategies × versions</h2>
${LEGEND}
${filters(run.results)}
${matrixHtml(run.results)}
<h2>Time per phase</h2>
<div class="chart"><canvas id="overview" role="img" aria-label="time per phase of every drill"></canvas></div>
<h2>Drills</h2>
${run.results.map(drillSection).join('\n')}
<script type="application/json" id="run-data">${scriptJson(run)}</script>
<script type="application/json" id="phase-order">${scriptJson(PHASES)}</script>
<script>
${chartJs}
</script>
<script>
${clientJs}
</script>
</body>
</html>
`;
}
