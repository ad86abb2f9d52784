import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { KNOWN_VERSIONS } from '../harness/etcd/versions.ts';
import { drillCommands, GithubWorkflow, GitlabCi } from './templates.ts';

// biome-ignore lint/suspicious/noExplicitAny: parsed YAML, checked by the schemas below
type Json = Record<string, any>;
const load = (file: string): Json => parse(readFileSync(new URL(`./${file}`, import.meta.url), 'utf8'));
const clone = (x: Json): Json => structuredClone(x);
const issues = (r: { success: boolean; error?: { issues: { message: string }[] } }) =>
  r.success ? [] : (r.error?.issues.map((i) => i.message) ?? []);
const known = KNOWN_VERSIONS.map((k) => k.version).join(',');

describe('ci/github-actions.yml', () => {
  const wf = load('github-actions.yml');
  const runs = (job: string): string[] =>
    (wf.jobs[job].steps as Json[]).flatMap((s) => (typeof s.run === 'string' ? [s.run] : []));

  it('has what GitHub requires, and its needs and artifacts connect', () => {
    expect(issues(GithubWorkflow.safeParse(wf))).toEqual([]);
  });

  it('the check fails on a job without runs-on, a need of no job, an artifact never uploaded', () => {
    const a = clone(wf);
    delete a.jobs.shard['runs-on'];
    expect(GithubWorkflow.safeParse(a).success).toBe(false);
    const b = clone(wf);
    b.jobs.merge.needs = ['shards'];
    expect(issues(GithubWorkflow.safeParse(b))).toContain('no job shards');
    const c = clone(wf);
    c.jobs.merge.steps.find((s: Json) => s.with?.pattern).with.pattern = 'etcd-drill-shards-*';
    expect(issues(GithubWorkflow.safeParse(c)).join()).toMatch(/never uploaded/);
  });

  it('shards i/n over the matrix, merges to JUnit and HTML, diffs against the baseline', () => {
    const shards = wf.jobs.shard.strategy.matrix.shard as number[];
    expect(shards).toEqual(shards.map((_, i) => i + 1));
    const [matrix] = drillCommands(runs('shard')).filter((c) => c.includes(' matrix '));
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub expression, not a JS template
    expect(matrix).toContain('--shard "${{ matrix.shard }}/${{ strategy.job-total }}"');
    const merge = drillCommands(runs('merge')).find((c) => c.includes(' report merge '));
    expect(merge).toMatch(/--out merged --reporter json,md,junit,html/);
    const junit = wf.jobs.merge.steps.find((s: Json) => s.uses?.startsWith('mikepenz/action-junit-report'));
    expect(junit.with.report_paths).toBe('merged/junit.xml');
    expect(drillCommands(runs('merge')).join()).toMatch(
      /report diff baseline\/results.json merged\/results.json/,
    );
    expect(wf.env.ETCD_VERSIONS).toBe(known);
  });
});

describe('ci/gitlab-ci.yml', () => {
  const ci = load('gitlab-ci.yml');

  it('has what GitLab requires, and its stages and needs connect', () => {
    expect(issues(GitlabCi.safeParse(ci))).toEqual([]);
  });

  it('the check fails on a job without script, a stage not declared, a need of no job', () => {
    const a = clone(ci);
    delete a.report.script;
    expect(GitlabCi.safeParse(a).success).toBe(false);
    const b = clone(ci);
    b.report.stage = 'merge';
    expect(issues(GitlabCi.safeParse(b))).toContain('stage merge is not in stages');
    const c = clone(ci);
    c.diff.needs = ['merge'];
    expect(issues(GitlabCi.safeParse(c))).toContain('no job merge');
  });

  it('parallel shards, a JUnit report from the merge, the HTML as artifact and pages', () => {
    expect(ci.drill.parallel).toBeGreaterThan(1);
    const matrix = drillCommands(ci.drill.script).find((c) => c.includes(' matrix '));
    expect(matrix).toContain('--shard "$CI_NODE_INDEX/$CI_NODE_TOTAL"');
    const [merge] = drillCommands(ci.report.script);
    expect(merge).toMatch(/--out merged --reporter json,md,junit,html/);
    expect(ci.report.artifacts.reports.junit).toBe('merged/junit.xml');
    expect(ci.pages.script.join()).toContain('merged/report.html');
    expect(ci.variables.ETCD_VERSIONS).toBe(known);
  });
});
