import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunResult, ScenarioResult } from '../harness/result.ts';
import { validateJunit } from '../harness/test-support/junit-xsd.ts';
import { renderJunit } from './junit.ts';
import { readRun } from './regrade.ts';

// A real matrix run (process provider, --no-probes): s5 and s6 and s8 on etcd 3.5.30 and 3.4.23, where
// s6 on 3.4.23 is not applicable and s8's restore is refused.
const FIXTURE = fileURLToPath(new URL('./fixtures/matrix-process.results.json', import.meta.url));
let fixture: RunResult;
beforeAll(async () => {
  fixture = await readRun(FIXTURE);
});

/** A copy of the fixture with one cell changed. */
function withCell(
  cell: string,
  change: (r: ScenarioResult) => void,
  over: Partial<RunResult> = {},
): RunResult {
  const run: RunResult = { ...structuredClone(fixture), ...over };
  const r = run.results.find((x) => `${x.scenarioId}@${x.etcd.version}` === cell);
  if (!r) throw new Error(`no cell ${cell} in the fixture`);
  change(r);
  return run;
}

const attrs = (s: string) =>
  Object.fromEntries([...s.matchAll(/([\w.-]+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
interface Case {
  attrs: Record<string, string>;
  outcome?: { kind: string; attrs: Record<string, string>; body: string };
}
function suites(xml: string) {
  return [...xml.matchAll(/<testsuite ([^>]*)>([\s\S]*?)<\/testsuite>/g)].map((m) => {
    const body = m[2] ?? '';
    const cases: Case[] = [...body.matchAll(/<testcase ([^>]*?)(?:\/>|>([\s\S]*?)<\/testcase>)/g)].map(
      (c) => {
        const o = /<(failure|error|skipped) ([^>]*)>([\s\S]*?)<\/\1>/.exec(c[2] ?? '');
        return {
          attrs: attrs(c[1] ?? ''),
          ...(o ? { outcome: { kind: o[1] ?? '', attrs: attrs(o[2] ?? ''), body: o[3] ?? '' } } : {}),
        };
      },
    );
    const out = /<system-out>([\s\S]*)<\/system-out>/.exec(body)?.[1] ?? '';
    return { attrs: attrs(m[1] ?? ''), cases, out };
  });
}
const suite = (xml: string, name: string) => {
  const s = suites(xml).find((x) => x.attrs.name === name);
  if (!s) throw new Error(`no suite ${name}`);
  return s;
};
const caseOf = (s: ReturnType<typeof suite>, name: string) => s.cases.find((c) => c.attrs.name === name);

async function expectValid(xml: string) {
  expect(await validateJunit(xml)).toEqual({ valid: true, errors: [] });
}

/** The counts attributes agree with the testcases in every suite. */
function expectCountsAgree(xml: string) {
  for (const s of suites(xml)) {
    const n = (k: string) => String(s.cases.filter((c) => c.outcome?.kind === k).length);
    expect(s.attrs, s.attrs.name).toMatchObject({
      tests: String(s.cases.length),
      failures: n('failure'),
      errors: n('error'),
      skipped: n('skipped'),
    });
  }
}

describe('junit.xml', () => {
  it('renders a real run into one suite per cell, a testcase per check, and validates against the JUnit XSD', async () => {
    const xml = renderJunit(fixture);
    await expectValid(xml);
    expectCountsAgree(xml);
    const all = suites(xml);
    expect(all.map((s) => s.attrs.name)).toEqual(
      fixture.results.map((r) => `${r.scenarioId}@${r.etcd.version}`),
    );
    const s5 = suite(xml, 's5-v3-snapshot-all-members@3.5.30');
    const r5 = fixture.results[0] as ScenarioResult;
    expect(s5.cases.map((c) => c.attrs.name)).toEqual([...r5.checks.map((c) => c.id), 'procedure-grade']);
    expect(s5.cases.every((c) => c.attrs.classname === 's5-v3-snapshot-all-members@3.5.30')).toBe(true);
    expect(s5.attrs.time).toBe((r5.durationMs / 1000).toFixed(3));
    expect(s5.out).toContain(
      'v2-data: observed lost, expected lost (expectation: observed in 3 of 3 runs (process, 2026-11-30)): as-expected',
    );
    expect(s5.out).toContain('procedure-grade: unsafe (data loss (v2: 7 of 7 entries)) (--require expected)');
  });

  it('takes the restore phase time for the restore check', () => {
    const xml = renderJunit(fixture);
    const s5 = suite(xml, 's5-v3-snapshot-all-members@3.5.30');
    const r5 = fixture.results[0] as ScenarioResult;
    const restore = r5.steps.filter((s) => s.phase === 'restore');
    const from = Math.min(...restore.map((s) => s.startMs));
    const to = Math.max(...restore.map((s) => s.startMs + s.durationMs));
    expect(caseOf(s5, 'restore')?.attrs.time).toBe(((to - from) / 1000).toFixed(3));
    expect(Number(caseOf(s5, 'restore')?.attrs.time)).toBeGreaterThan(0);
  });

  it('a cell that is not applicable is skipped with the reason', () => {
    const s6 = suite(renderJunit(fixture), 's6-v3-snapshot-bump-revision@3.4.23');
    expect(s6.attrs).toMatchObject({ tests: '1', skipped: '1', failures: '0', errors: '0' });
    expect(s6.cases[0]?.outcome).toMatchObject({
      kind: 'skipped',
      attrs: { message: 'etcdutl snapshot restore of etcd 3.4.23 has no --bump-revision' },
    });
  });

  it('an unexpected verdict is a failure: expected vs observed with the source, the evidence in the body', async () => {
    const run = withCell('s5-v3-snapshot-all-members@3.5.30', (r) => {
      const c = r.checks.find((x) => x.id === 'v2-data');
      if (!c) throw new Error('no v2-data check');
      Object.assign(c, { expected: 'restored', verdict: 'unexpected', source: 'write-up: step 3' });
      r.verdict = 'unexpected';
    });
    const xml = renderJunit(run);
    await expectValid(xml);
    expectCountsAgree(xml);
    const s5 = suite(xml, 's5-v3-snapshot-all-members@3.5.30');
    expect(s5.attrs).toMatchObject({ failures: '1', errors: '0' });
    const f = caseOf(s5, 'v2-data')?.outcome;
    expect(f?.kind).toBe('failure');
    expect(f?.attrs).toEqual({
      type: 'unexpected',
      message: 'expected restored, observed lost (expectation: write-up: step 3)',
    });
    expect(f?.body).toContain('/cluster.local/network/config');
    expect(f?.body).toContain('expectation at expect.v2');
  });

  it('unknown is an error, never a pass: a check that could not be made, and a harness error', async () => {
    const cause = { message: 'context deadline exceeded' };
    let run = withCell('s5-v3-snapshot-all-members@3.5.30', (r) => {
      const c = r.checks.find((x) => x.id === 'membership');
      if (!c) throw new Error('no membership check');
      Object.assign(c, { observed: 'unknown', verdict: 'unknown', error: { message: 'member list', cause } });
      r.verdict = 'unknown';
    });
    const stopped = { code: 'PROVIDER_START', message: 'start failed', cause: { message: 'port in use' } };
    run = {
      ...run,
      results: run.results.map((r, i) => (i === 1 ? { ...r, verdict: 'unknown', error: stopped } : r)),
    };
    const xml = renderJunit(run);
    await expectValid(xml);
    expectCountsAgree(xml);
    const a = suite(xml, 's5-v3-snapshot-all-members@3.5.30');
    expect(a.attrs.errors).toBe('1');
    expect(caseOf(a, 'membership')?.outcome).toMatchObject({
      kind: 'error',
      attrs: {
        type: 'unknown',
        message: 'membership could not be made: member list ← context deadline exceeded',
      },
    });
    const b = suite(xml, 's5-v3-snapshot-all-members@3.4.23');
    expect(b.attrs.errors).toBe('1');
    expect(caseOf(b, 'harness')?.outcome).toMatchObject({
      kind: 'error',
      attrs: { type: 'PROVIDER_START', message: 'harness error: start failed ← port in use' },
    });
  });

  it('under --require safe a procedure that is not safe fails and an unknown grade errors; under expected both are skipped as not gated', async () => {
    const unknownGrade = (r: ScenarioResult) => {
      r.grade = { grade: 'unknown', reasons: ['components not checked (--no-probes)'] };
    };
    const safe = withCell('s6-v3-snapshot-bump-revision@3.5.30', unknownGrade, { require: 'safe' });
    const xml = renderJunit(safe);
    await expectValid(xml);
    expectCountsAgree(xml);
    const grade = (cell: string) => caseOf(suite(xml, cell), 'procedure-grade')?.outcome;
    expect(grade('s5-v3-snapshot-all-members@3.5.30')).toMatchObject({
      kind: 'failure',
      attrs: { type: 'procedure-unsafe', message: 'procedure not safe: data loss (v2: 7 of 7 entries)' },
    });
    expect(grade('s8-corrupt-snapshot-truncate@3.4.23')?.attrs.message).toBe(
      'procedure not safe: restore refused: corrupt snapshot',
    );
    expect(grade('s6-v3-snapshot-bump-revision@3.5.30')).toMatchObject({
      kind: 'error',
      attrs: { type: 'procedure-unknown' },
    });
    expect(grade('s6-v3-snapshot-bump-revision@3.4.23')?.kind).toBe('skipped');
    const failures = suites(xml).reduce((n, s) => n + Number(s.attrs.failures), 0);
    expect(failures).toBe(4);

    const expected = renderJunit({ ...safe, require: 'expected' });
    for (const s of suites(expected)) expect(s.attrs).toMatchObject({ failures: '0', errors: '0' });
    // Not gated, and not a pass either: an unsafe or unknown procedure is never green.
    expect(caseOf(suite(expected, 's6-v3-snapshot-bump-revision@3.5.30'), 'procedure-grade')).toMatchObject({
      outcome: { kind: 'skipped', attrs: { type: 'not-gated' } },
    });
    expect(
      caseOf(suite(expected, 's5-v3-snapshot-all-members@3.5.30'), 'procedure-grade')?.outcome?.kind,
    ).toBe('skipped');
    expect(suite(expected, 's6-v3-snapshot-bump-revision@3.5.30').out).toContain(
      'procedure-grade: unknown (components not checked (--no-probes)) (--require expected)',
    );
  });

  it('escapes markup and writes characters XML 1.0 forbids visibly, so the file still parses', async () => {
    const said = 'panic: page \u0000 \u001b[31mred\u001b[0m \uFFFE \uD800 <b>&"quoted"\ttab\nnext';
    const run = withCell('s8-corrupt-snapshot-truncate@3.5.30', (r) => {
      const c = r.checks.find((x) => x.id === 'restore');
      if (!c) throw new Error('no restore check');
      Object.assign(c, { expected: 'completed', verdict: 'unexpected', evidence: { etcdSays: said } });
      Object.assign(c, { observed: said, title: said });
    });
    const xml = renderJunit(run);
    await expectValid(xml);
    const illegal = [...xml].filter((ch) => {
      const n = ch.codePointAt(0) ?? 0;
      return (n < 0x20 && !'\t\n\r'.includes(ch)) || n === 0xfffe || (n >= 0xd800 && n <= 0xdfff);
    });
    expect(illegal).toEqual([]);
    const f = caseOf(suite(xml, 's8-corrupt-snapshot-truncate@3.5.30'), 'restore')?.outcome;
    expect(f?.attrs.message).toBe(
      'expected completed, observed panic: page \\u{0000} \\u{001b}[31mred\\u{001b}[0m \\u{fffe} \\u{d800} &lt;b&gt;&amp;&quot;quoted&quot;&#9;tab&#10;next (expectation: observed in 3 of 3 runs (process, 2026-11-30))',
    );
    expect(f?.body).toContain('\\u{0000}');
  });
});
