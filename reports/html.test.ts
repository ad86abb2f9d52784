import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunResult, ScenarioResult } from '../harness/result.ts';
import { inlineScript, scriptJson } from './html/assets.ts';
import { renderHtml } from './html.ts';
import { readRun } from './regrade.ts';
import { REPORTERS, writeReport } from './write.ts';

// A real run: s5, s6 and c-s5-kill-restore on etcd 3.5.30 and 3.4.23 (process, with probes).
const FIXTURE = join(import.meta.dirname, 'fixtures', 'matrix-s5-s6-kill.results.json');
let run: RunResult;
beforeAll(async () => {
  run = await readRun(FIXTURE);
});

const withResult = (i: number, over: (r: ScenarioResult) => ScenarioResult): RunResult => ({
  ...run,
  results: run.results.map((r, j) => (j === i ? over(r) : r)),
});
/** The opening tag of drill i's matrix cell. */
const cellTag = (html: string, i: number) =>
  html.match(new RegExp(`<a class="cell [^>]*data-drill="${i}"[^>]*>`))?.[0];
const runData = (html: string) =>
  JSON.parse(
    html.match(/<script type="application\/json" id="run-data">([\s\S]*?)<\/script>/)?.[1] ?? 'null',
  );

describe('HTML report', () => {
  it('renders the matrix in HTML: one cell per drill, coloured by grade, its verdict marked', () => {
    const html = renderHtml(run);
    expect(html.match(/<a class="cell /g)).toHaveLength(run.results.length);
    for (const [i, r] of run.results.entries()) {
      expect(cellTag(html, i)).toContain(`grade-${r.grade.grade} verdict-${r.verdict}`);
    }
    for (const v of new Set(run.results.map((r) => r.etcd.version)))
      expect(html).toContain(`<th>etcd ${v}</th>`);
    expect(html.match(/<details class="drill /g)).toHaveLength(run.results.length);
    expect(html).toContain('⚠ unexpected');
    expect(html).toContain('no --bump-revision'); // the not-applicable reason, from etcd itself
    expect(runData(html)).toEqual(run);
  });

  it('fetches nothing: no external src or href, no stylesheet or script links', () => {
    const html = renderHtml(run);
    expect(html).not.toMatch(/(src|href)\s*=\s*["']?\s*(https?:)?\/\//i);
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|@import|url\(\s*["']?https?:/i);
    expect(html.match(/<script/g)).toHaveLength(4); // run data, phase order, chart.js, the client script
  });

  it('escapes what etcd or a scenario said, in the page and in the embedded data', () => {
    const evil = '</script><script>alert(1)</script><!-- "quoted" & \'single\' \u2028';
    const bad = withResult(4, (r) => ({
      ...r,
      title: evil,
      grade: { grade: 'unsafe', reasons: [evil] },
      checks: r.checks.map((c, j) => (j === 0 ? { ...c, observed: evil } : c)),
    }));
    const html = renderHtml(bad);
    expect(html).not.toContain('<script>alert(1)');
    expect(html).not.toContain('<!-- "quoted"');
    expect(html).toContain(
      '&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;!-- &quot;quoted&quot; &amp; &#39;single&#39;',
    );
    expect(runData(html)).toEqual(bad);
    expect(scriptJson({ a: '</script>' })).toBe('{"a":"\\u003c/script>"}');
    expect(() => inlineScript('x.js', 'const s = "</script>";')).toThrow(/cannot inline x.js/);
  });

  it('shows unknown as unknown, never green', () => {
    const html = renderHtml(
      withResult(0, (r) => ({
        ...r,
        verdict: 'unknown',
        grade: { grade: 'unknown', reasons: ['components not checked'] },
      })),
    );
    const tag = cellTag(html, 0);
    expect(tag).toContain('grade-unknown verdict-unknown');
    expect(tag).not.toContain('safe');
    expect(html).toMatch(
      /data-drill="0"[^>]*>.*<span class="grade">unknown<\/span><span class="verdict verdict-unknown">\? unknown/,
    );
    const css = html.match(/<style>([\s\S]*?)<\/style>/)?.[1] ?? '';
    const unknownRule = css.match(/\.grade-unknown \{[^}]*\}/)?.[0];
    expect(unknownRule).toBeDefined();
    expect(unknownRule).not.toContain('--safe');
  });

  it('per drill: each Kubernetes report headed with its version and what ran', () => {
    const mode = { ok: true, ms: 500, evidence: {} };
    const modern = {
      version: '1.36.4',
      origin: 'debian sid',
      startMs: 1,
      restartMs: 1,
      checks: [{ check: 'watch-list' as const, outcome: 'recovered' as const, kept: mode, restarted: mode }],
      exits: [],
    };
    const html = renderHtml(
      withResult(0, (r) => ({ ...r, observations: { ...r.observations, k8sModern: modern } })),
    );
    const d0 = html.match(/<details [^>]*id="d0"[\s\S]*?<\/details>/)?.[0] ?? '';
    expect(d0).toContain('<h4>Kubernetes 1.36.4 storage layer, apiextensions-apiserver</h4>');
    expect(d0).toContain('<td>watch-list</td>');
  });

  it('per drill: phases, faults, counts, per-type counts, probes; members only where they diverge', () => {
    const i = run.results.findIndex((r) => r.faults.length > 1);
    const section = (html: string) =>
      html.match(new RegExp(`<details [^>]*id="d${i}"[\\s\\S]*?</details>`))?.[0] ?? '';
    const s = section(renderHtml(run));
    for (const want of [
      'Phase timeline',
      '<h4>Faults</h4>',
      'kill (during restore)',
      'Keys before and after',
      'Kubernetes objects per type',
      'Component probes',
      'All 3 restored members agree',
    ])
      expect(s).toContain(want);
    expect(s.match(/<canvas data-chart=/g)).toHaveLength(3);
    const split = withResult(i, (r) => {
      const restored = r.observations.restored;
      if (!restored) throw new Error('fixture drill has no restored members');
      const members = restored.members.map((m, j) =>
        j === 2 ? { ...m, v3: { ...m.v3, keys: { count: 1, sha256: 'other' } } } : m,
      );
      return { ...r, observations: { ...r.observations, restored: { ...restored, members } } };
    });
    const d = section(renderHtml(split));
    expect(d).toContain('Members diverge');
    expect(d).toMatch(
      /<td>etcd3<\/td><td>[^<]*<span class="hash">[^<]*<\/span><\/td><td>restored: 1 <span class="hash">other<\/span>/,
    );
  });

  it('is registered as the html reporter writing report.html', async () => {
    expect(REPORTERS.get('html')?.file).toBe('report.html');
    const dir = await mkdtemp(join(tmpdir(), 'html-'));
    try {
      const { failures } = await writeReport(run, dir, ['html']);
      expect(failures).toEqual([]);
      expect(await readFile(join(dir, 'report.html'), 'utf8')).toBe(renderHtml(run));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
