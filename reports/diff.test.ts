import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { PHASES } from '../harness/engine/phases.ts';
import { HarnessError } from '../harness/errors.ts';
import type { RunResult, ScenarioResult } from '../harness/result.ts';
import { type Change, diffExitCode, diffRuns, parseRtoThreshold } from './diff.ts';
import { baselineDiff, writeDiffFiles } from './diff-io.ts';
import { renderDiff } from './diff-md.ts';
import { readRun } from './regrade.ts';
import { phaseTimes, restoreTime } from './rto.ts';

// A real matrix (s5 and s6 on 3.5.30 and 3.4.23, process, --no-probes; s6 is not applicable on 3.4.23),
// mutated per test to make each kind of change.
const FIXTURE = fileURLToPath(new URL('./fixtures/matrix-s5-s6.results.json', import.meta.url));
let fixture: RunResult;
beforeAll(async () => {
  fixture = await readRun(FIXTURE);
});

const S5 = 's5-v3-snapshot-all-members @ 3.5.30 (process)';
const copy = (runId = '20261201-020000-beef'): RunResult => ({ ...structuredClone(fixture), runId });
const cell = (run: RunResult, scenarioId = 's5-v3-snapshot-all-members', version = '3.5.30') => {
  const r = run.results.find((x) => x.scenarioId === scenarioId && x.etcd.version === version);
  if (!r) throw new Error(`fixture lacks ${scenarioId}@${version}`);
  return r;
};
const check = (r: ScenarioResult, id: string) => {
  const c = r.checks.find((x) => x.id === id);
  if (!c) throw new Error(`fixture lacks check ${id}`);
  return c;
};
const only = (changes: readonly Change[]) => {
  expect(changes).toHaveLength(1);
  return changes[0] as Change;
};
/** Makes the restore phase of `r` take `ms` longer, shifting every later step. */
function slowRestore(r: ScenarioResult, ms: number) {
  const end = Math.max(...r.steps.filter((s) => s.phase === 'restore').map((s) => s.startMs + s.durationMs));
  for (const s of r.steps) {
    if (s.phase === 'restore' && s.startMs + s.durationMs === end) s.durationMs += ms;
    else if (s.startMs >= end) s.startMs += ms;
  }
}

describe('diffRuns on equal runs', () => {
  it('two copies of one run: no change, exit 0', () => {
    const d = diffRuns(fixture, copy());
    expect(d.changes).toEqual([]);
    expect(d.cells).toEqual({ compared: 4, added: 0, gone: 0 });
    expect(diffExitCode(d)).toBe(0);
    expect(renderDiff(d)).toContain('No change in any verdict, outcome, procedure grade or restore time.');
  });
});

describe('check changes', () => {
  it('as expected → unexpected is a regression naming the cell and the check', () => {
    const next = copy();
    Object.assign(check(cell(next), 'v3-data'), { observed: 'lost', verdict: 'unexpected' });
    cell(next).verdict = 'unexpected';
    const d = diffRuns(fixture, next);
    const c = only(d.changes.filter((x) => x.subject !== 'grade'));
    expect(c).toMatchObject({
      label: S5,
      subject: 'check',
      check: 'v3-data',
      effect: 'regression',
      before: 'restored: as expected',
      after: 'lost: UNEXPECTED (expected restored)',
    });
    expect(diffExitCode(d)).toBe(1);
    // The cell verdict follows from the check: not counted twice.
    expect(d.changes.some((x) => x.subject === 'verdict')).toBe(false);
  });
  it('unexpected → as expected is an improvement (the same runs the other way round)', () => {
    const bad = copy();
    Object.assign(check(cell(bad), 'v3-data'), { observed: 'lost', verdict: 'unexpected' });
    cell(bad).verdict = 'unexpected';
    const d = diffRuns(bad, fixture);
    expect(only(d.changes)).toMatchObject({ check: 'v3-data', effect: 'improvement' });
    expect(diffExitCode(d)).toBe(0);
  });
  it('an outcome and expectation that move together: a change, not a regression', () => {
    const next = copy();
    Object.assign(check(cell(next), 'v2-data'), { observed: 'partial', expected: 'partial' });
    const c = only(diffRuns(fixture, next).changes);
    expect(c).toMatchObject({ check: 'v2-data', effect: 'change', before: 'lost: as expected' });
    expect(c.details).toEqual(['expectation lost → partial']);
  });
  it('known → unknown is reported as unknown and counts as a regression', () => {
    const next = copy();
    Object.assign(check(cell(next), 'integrity'), {
      observed: 'unknown',
      verdict: 'unknown',
      error: { message: 'hashkv timed out' },
    });
    cell(next).verdict = 'unknown';
    const c = only(diffRuns(fixture, next).changes);
    expect(c).toMatchObject({ check: 'integrity', effect: 'regression', unknown: true });
    expect(c.after).toBe('unknown: UNKNOWN (hashkv timed out)');
  });
  it('unknown in both runs is no change; unknown → as expected is an improvement', () => {
    const unknown = copy();
    Object.assign(check(cell(unknown), 'integrity'), { observed: 'unknown', verdict: 'unknown' });
    cell(unknown).verdict = 'unknown';
    expect(diffRuns(unknown, unknown).changes).toEqual([]);
    expect(only(diffRuns(unknown, fixture).changes)).toMatchObject({ effect: 'improvement', unknown: false });
  });
  it('a harness error that leaves the drill unknown is reported on the cell verdict', () => {
    const next = copy();
    Object.assign(cell(next), { verdict: 'unknown', error: { code: 'PROBE', message: 'probe crashed' } });
    expect(only(diffRuns(fixture, next).changes)).toMatchObject({
      subject: 'verdict',
      effect: 'regression',
      unknown: true,
      before: 'as expected',
      after: 'UNKNOWN: probe crashed',
    });
  });
});

describe('procedure grade changes', () => {
  const graded = (grade: ScenarioResult['grade']) => {
    const r = copy();
    cell(r).grade = grade;
    return r;
  };
  const safe = () => graded({ grade: 'safe', reasons: [] });
  it('safe → unsafe is a regression; unsafe → safe an improvement', () => {
    expect(only(diffRuns(safe(), fixture).changes)).toMatchObject({
      subject: 'grade',
      effect: 'regression',
      before: 'safe',
      after: 'data loss (v2: 7 of 7 entries)',
    });
    expect(only(diffRuns(fixture, safe()).changes).effect).toBe('improvement');
  });
  it('unsafe → unknown is an unknown regression; the same grade with other reasons is a change', () => {
    const unknown = graded({ grade: 'unknown', reasons: ['components not checked'] });
    expect(only(diffRuns(fixture, unknown).changes)).toMatchObject({ effect: 'regression', unknown: true });
    const other = graded({ grade: 'unsafe', reasons: ['data loss (v2: 6 of 7 entries)'] });
    expect(only(diffRuns(fixture, other).changes).effect).toBe('change');
  });
});

describe('restore time', () => {
  it('the real restore phase is a span of nested steps, not their sum', () => {
    const r = cell(fixture);
    const restore = r.steps.filter((s) => s.phase === 'restore');
    const wrapper = restore.find((s) => s.title === 'restore');
    expect(restoreTime(r)).toBeGreaterThanOrEqual(wrapper?.durationMs ?? Number.POSITIVE_INFINITY);
    expect(restoreTime(r)).toBeLessThan(restore.reduce((n, s) => n + s.durationMs, 0));
    expect([...phaseTimes(r).keys()]).toEqual([...PHASES]);
  });
  it('a slowdown beyond +50% and +2 s is a regression with the phases in its details', () => {
    const next = copy();
    slowRestore(cell(next), 2500);
    const c = only(diffRuns(fixture, next).changes);
    expect(c).toMatchObject({ label: S5, subject: 'restore-time', effect: 'regression' });
    expect(c.details[0]).toMatch(/^phases: start .*restore \d+\.\d s → \d+\.\d s/);
    expect(only(diffRuns(next, fixture).changes).effect).toBe('improvement');
  });
  it('both bounds must be exceeded: +1.5 s (over +50%) is natural variation', () => {
    const next = copy();
    slowRestore(cell(next), 1500);
    expect(diffRuns(fixture, next).changes).toEqual([]);
    // A slow baseline: +2.5 s on a 10 s restore is only +25%.
    const slowBase = copy();
    slowRestore(cell(slowBase), 10_000);
    const slower = structuredClone(slowBase);
    slowRestore(cell(slower), 2500);
    expect(diffRuns(slowBase, slower).changes).toEqual([]);
    expect(only(diffRuns(slowBase, slower, { pct: 10, ms: 0 }).changes).effect).toBe('regression');
  });
  it('--rto-threshold reads a percentage, a time, or both', () => {
    expect(parseRtoThreshold('50%,2s')).toEqual({ pct: 50, ms: 2000 });
    expect(parseRtoThreshold('+20%')).toEqual({ pct: 20, ms: 0 });
    expect(parseRtoThreshold('1500ms')).toEqual({ pct: 0, ms: 1500 });
    for (const bad of ['fast', '50', '50%,soon', ''])
      expect(() => parseRtoThreshold(bad)).toThrow(/give e\.g\. 50%,2s/);
  });
});

describe('cells added and gone', () => {
  it('are reported, not regressions', () => {
    const fewer = copy();
    fewer.results = fewer.results.filter((r) => r.etcd.version !== '3.4.23');
    const gone = diffRuns(fixture, fewer);
    expect(gone.cells).toEqual({ compared: 2, added: 0, gone: 2 });
    expect(gone.changes.map((c) => [c.label, c.after])).toEqual([
      ['s5-v3-snapshot-all-members @ 3.4.23 (process)', 'gone'],
      ['s6-v3-snapshot-bump-revision @ 3.4.23 (process)', 'gone'],
    ]);
    expect(gone.changes[1]?.before).toBe(
      'not applicable: etcdutl snapshot restore of etcd 3.4.23 has no --bump-revision',
    );
    const added = diffRuns(fewer, fixture);
    expect(added.cells).toEqual({ compared: 2, added: 2, gone: 0 });
    expect(added.changes[0]?.after).toBe('as expected; procedure data loss (v2: 7 of 7 entries)');
    expect(diffExitCode(added)).toBe(0);
  });
  it('a TLS run is other cells than a plain one', () => {
    const tls = copy();
    for (const r of tls.results) r.tls = true;
    const d = diffRuns(fixture, tls);
    expect(d.cells).toEqual({ compared: 0, added: 4, gone: 4 });
    expect(d.changes.at(-1)?.label).toBe('s6-v3-snapshot-bump-revision @ 3.4.23 (process, tls)');
  });
  it('a k8s 1.20, a k8s 1.36 and a plain run are other cells (older results list 1.20 as k8s)', () => {
    const withExt = (ext: string) => {
      const r = copy();
      for (const x of r.results) x.extensions = [...x.extensions, ext];
      return r;
    };
    const v120 = withExt('k8s');
    const v136 = withExt('k8s-1.36');
    expect(diffRuns(fixture, v120).cells).toEqual({ compared: 0, added: 4, gone: 4 });
    expect(diffRuns(v120, v136).cells).toEqual({ compared: 0, added: 4, gone: 4 });
    expect(diffRuns(v136, withExt('k8s-1.36')).cells).toEqual({ compared: 4, added: 0, gone: 0 });
    expect(diffRuns(v120, v136).changes.map((c) => c.label)).toContain(
      's6-v3-snapshot-bump-revision @ 3.4.23 (process, k8s 1.36)',
    );
    expect(diffRuns(fixture, v120).changes.map((c) => c.label)).toContain(
      's6-v3-snapshot-bump-revision @ 3.4.23 (process, k8s)',
    );
  });
  it('a run holding one cell twice is bad input', () => {
    const twice = copy();
    twice.results.push(structuredClone(cell(twice)));
    expect(() => diffRuns(fixture, twice)).toThrow(HarnessError);
    expect(() => diffRuns(fixture, twice)).toThrow(`holds ${S5} twice`);
  });
});

describe('the Markdown and JSON', () => {
  it('a headline, then regressions first, each naming its cell', () => {
    const next = copy();
    Object.assign(check(cell(next), 'v3-data'), { observed: 'lost', verdict: 'unexpected' });
    cell(next).verdict = 'unexpected';
    next.results = next.results.filter((r) => r.scenarioId !== 's6-v3-snapshot-bump-revision');
    const md = renderDiff(diffRuns(fixture, next));
    const lines = md.split('\n');
    expect(lines[0]).toBe('### etcd-drill diff: 1 regression, 0 improvements, 2 changes');
    const regressions = lines.indexOf('#### Regressions');
    const others = lines.indexOf('#### Other changes');
    expect(regressions).toBeGreaterThan(0);
    expect(others).toBeGreaterThan(regressions);
    expect(lines[regressions + 4]).toBe(
      `| ${S5} | check v3-data | restored: as expected | lost: UNEXPECTED (expected restored) |  |`,
    );
    expect(md).toContain('Exit code 1: the new run regressed against the baseline.');
  });
  it('writes the same diff as Markdown and JSON', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'drill-diff-'));
    try {
      const next = copy();
      slowRestore(cell(next), 3000);
      const d = diffRuns(fixture, next);
      const md = await writeDiffFiles(d, { md: join(dir, 'a', 'diff.md'), json: join(dir, 'diff.json') });
      expect(await readFile(join(dir, 'a', 'diff.md'), 'utf8')).toBe(md);
      expect(JSON.parse(await readFile(join(dir, 'diff.json'), 'utf8'))).toEqual(d);
      expect(md).toContain('1 regression, 0 improvements, 0 changes');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('run --baseline exit code', () => {
  it("a regression raises the run's 0 or 1 to 1; 2 (unknown) and 130 (interrupted) stay", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'drill-diff-'));
    try {
      const safe = copy();
      cell(safe).grade = { grade: 'safe', reasons: [] };
      const exit = async (base: RunResult, code: RunResult['exitCode']) =>
        (await baselineDiff(base, { ...fixture, exitCode: code }, dir, { pct: 50, ms: 2000 })).exitCode;
      expect(await exit(fixture, 0)).toBe(0);
      expect(await exit(fixture, 1)).toBe(1);
      expect(await exit(safe, 0)).toBe(1);
      expect(await exit(safe, 2)).toBe(2);
      expect(await exit(safe, 130)).toBe(130);
      expect(await readFile(join(dir, 'diff.md'), 'utf8')).toContain('1 regression, 0 improvements');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
