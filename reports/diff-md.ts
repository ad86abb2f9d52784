import type { Change, Effect, RtoThreshold, RunDiff } from './diff.ts';

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

export function diffHeadline(d: RunDiff): string {
  const { regressions, improvements, changes } = d.counts;
  return `${plural(regressions, 'regression', 'regressions')}, ${plural(improvements, 'improvement', 'improvements')}, ${plural(changes, 'change', 'changes')}`;
}

export function thresholdText(t: RtoThreshold): string {
  const parts = [...(t.pct ? [`+${t.pct}%`] : []), ...(t.ms ? [`+${t.ms / 1000} s`] : [])];
  return parts.length ? parts.join(' and ') : 'any increase';
}

function what(c: Change): string {
  if (c.subject === 'check') return `check ${c.check}`;
  if (c.subject === 'restore-time') return 'restore time';
  if (c.subject === 'grade') return 'procedure';
  return c.subject;
}

function table(changes: readonly Change[]): string[] {
  return [
    '| cell | what | baseline | now | details |',
    '| --- | --- | --- | --- | --- |',
    ...changes.map(
      (c) =>
        `| ${cell(c.label)} | ${what(c)} | ${cell(c.before)} | ${cell(c.after)} | ${cell(c.details.join('; '))} |`,
    ),
  ];
}

const SECTIONS: readonly [Effect, string][] = [
  ['regression', 'Regressions'],
  ['improvement', 'Improvements'],
  ['change', 'Other changes'],
];

/** The diff as Markdown fit for a PR comment: a headline, then regressions, improvements, other changes. */
export function renderDiff(d: RunDiff): string {
  const out = [
    `### etcd-drill diff: ${diffHeadline(d)}`,
    '',
    `Baseline run \`${d.baseline.runId}\` (${d.baseline.startedAt}) → run \`${d.new.runId}\` (${d.new.startedAt}): ` +
      `${plural(d.cells.compared, 'cell', 'cells')} compared, ${d.cells.added} added, ${d.cells.gone} gone. ` +
      `A restore time counts when it moved by more than ${thresholdText(d.rtoThreshold)}.`,
    '',
  ];
  if (d.changes.length === 0)
    out.push('No change in any verdict, outcome, procedure grade or restore time.', '');
  for (const [effect, title] of SECTIONS) {
    const these = d.changes.filter((c) => c.effect === effect);
    if (these.length) out.push(`#### ${title}`, '', ...table(these), '');
  }
  out.push(
    d.counts.regressions
      ? 'Exit code 1: the new run regressed against the baseline.'
      : 'Exit code 0: no regression against the baseline.',
    '',
  );
  return out.join('\n');
}
