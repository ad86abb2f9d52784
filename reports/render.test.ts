import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { RunResult, ScenarioResult } from '../harness/result.ts';
import { memberData } from '../harness/test-support/results.ts';
import { readRun } from './regrade.ts';
import { componentsLine, faultTimeline, k8sLine, renderSummary } from './render.ts';
import { RunResultSchema } from './schema.ts';

const keys = (count: number) => ({ count, sha256: `h${count}` });
const data = (count: number) =>
  memberData({ outcome: 'partial', keys: keys(count), same: count, missing: 270 - count });

const result = (over: Partial<ScenarioResult> = {}): ScenarioResult => ({
  scenarioId: 's1-v3-snapshot-restore',
  title: 'S1',
  strategy: 'v3-snapshot-force-new-cluster',
  provider: 'process',
  etcd: { version: '3.4.23', origin: 'debian bookworm 3.4.23-4+b4' },
  clusterSize: 3,
  tls: false,
  extensions: [],
  verdict: 'unexpected',
  grade: { grade: 'unsafe', reasons: ['data loss (v3: 1 of 270 keys)'] },
  startedAt: '2026-11-24T02:00:00.000Z',
  durationMs: 9900,
  steps: [{ title: 'restore', phase: 'restore', startMs: 800, durationMs: 8600, ok: true }],
  faults: [],
  observations: {
    backupPoint: { v2: keys(7), v3: keys(270), revision: 4, membership: { members: [] }, byType: {} },
    restored: {
      members: [{ name: 'etcd1', v2: data(0), v3: data(269) }],
      membership: { members: [] },
      health: { up: true, leaders: 1, members: [] },
      revision: 5,
      byType: {},
    },
  },
  checks: [
    {
      id: 'v3-data',
      title: 'v3 keys',
      expectPath: ['v3'],
      expected: 'restored',
      observed: 'partial',
      verdict: 'unexpected',
      source: 'write-up | step 3',
      evidence: {
        missing: 1,
        extra: 0,
        changed: 0,
        firstMissing: ['/registry/pods/default/x'],
        firstExtra: [],
        firstChanged: [],
      },
    },
    {
      id: 'membership',
      title: 'membership',
      expectPath: ['membership'],
      expected: 'healthy',
      observed: 'healthy',
      verdict: 'as-expected',
      source: 's',
      evidence: { members: 3, healthy: 3 },
    },
  ],
  ...over,
});

const run = (results: ScenarioResult[], exitCode: RunResult['exitCode'] = 1): RunResult => ({
  schemaVersion: 3,
  runId: '20261124-020000-abcd',
  tool: { name: 'etcd-drill', version: '0.1.0' },
  startedAt: '2026-11-24T02:00:00.000Z',
  finishedAt: '2026-11-24T02:00:10.000Z',
  require: 'expected',
  exitCode,
  results,
});

describe('summary.md', () => {
  it('has one table row per scenario with counts, membership, the procedure grade and the regression verdict', () => {
    const md = renderSummary(run([result()]));
    const row = md.split('\n').find((l) => l.startsWith('| s1-v3-snapshot-restore'));
    expect(row).toBe(
      '| s1-v3-snapshot-restore | 3.4.23 | process | 270 → 269 | 7 → 0 | healthy (3/3) | – | data loss (v3: 1 of 270 keys) | UNEXPECTED | 9.9s |',
    );
  });
  it('a procedure that loses data can still be as expected: both answers side by side', () => {
    const md = renderSummary(run([result({ verdict: 'as-expected' })], 0));
    expect(md).toContain('| data loss (v3: 1 of 270 keys) | as expected |');
    expect(md).toContain('Procedure: data loss (v3: 1 of 270 keys). Regression: as expected.');
  });
  it('says how long each phase took, before the step table', () => {
    const steps = [
      { title: 'seed v3 fixture', phase: 'seed', startMs: 100, durationMs: 2000, ok: true },
      { title: 'restore', phase: 'restore', startMs: 2500, durationMs: 8600, ok: true },
      {
        title: 'etcdutl snapshot restore (etcd1)',
        phase: 'restore',
        startMs: 2600,
        durationMs: 900,
        ok: true,
      },
    ];
    const md = renderSummary(run([result({ steps })]));
    expect(md).toContain('Time per phase: seed 2.0s, restore 8.6s.\n\n| phase | step | took |');
  });
  it('under --require safe the exit line speaks of procedures', () => {
    const md = renderSummary({ ...run([result()], 1), require: 'safe' });
    expect(md).toContain('Exit code 1: a procedure is not safe (--require safe');
  });
  it('names the missing keys and escapes pipes in table cells', () => {
    const md = renderSummary(run([result()]));
    expect(md).toContain('- v3-data: 1 missing: `/registry/pods/default/x`');
    expect(md).toContain('write-up \\| step 3');
  });
  it('spells out a harness error with its cause chain', () => {
    const md = renderSummary(
      run(
        [
          result({
            verdict: 'unknown',
            checks: [],
            error: { code: 'PROVIDER_START', message: 'start failed', cause: { message: 'port in use' } },
          }),
        ],
        2,
      ),
    );
    expect(md).toContain('Harness error (PROVIDER_START): start failed ← port in use');
    expect(md).toContain('Exit code 2: a harness error left a verdict unknown.');
  });
});

describe('results.json schema', () => {
  it('accepts a well-formed run and refuses a wrong verdict', () => {
    expect(RunResultSchema.safeParse(run([result()])).success).toBe(true);
    const bad = run([{ ...result(), verdict: 'pass' as never }]);
    expect(RunResultSchema.safeParse(bad).success).toBe(false);
  });
});

describe('version matrix', () => {
  it('has a row per scenario and a column per version, flagging cells that differ from expectation', () => {
    const on = (version: string, over: Partial<ScenarioResult> = {}) =>
      result({ etcd: { version, origin: 'x' }, ...over });
    const md = renderSummary(
      run([
        on('3.4.23', { verdict: 'as-expected' }),
        on('3.5.30'),
        on('3.3.25', { verdict: 'not-applicable', notApplicable: 'no etcdutl', checks: [] }),
      ]),
    );
    expect(md).toContain('| scenario (strategy) | 3.3.25 | 3.4.23 | 3.5.30 |');
    const row = md
      .split('\n')
      .find((l) => l.startsWith('| s1-v3-snapshot-restore (v3-snapshot-force-new-cluster)'));
    expect(row).toBe(
      '| s1-v3-snapshot-restore (v3-snapshot-force-new-cluster) | n/a: no etcdutl | v2 ? · v3 partial · healthy · **data loss (v3: 1 of 270 keys)** · 9.9s | v2 ? · v3 partial · healthy · **data loss (v3: 1 of 270 keys)** · 9.9s ⚠ differs from expectation |',
    );
  });
});

const probe = (name: string, outcome: 'recovered' | 'needs-restart' | 'not-recovered', extra = {}) => ({
  probe: name,
  outcome,
  maxRevisionBefore: 19,
  evidence: { keysDiffering: outcome === 'recovered' ? 0 : 5 },
  ...(outcome === 'recovered' ? { recoverMs: 300 } : {}),
  ...(outcome === 'needs-restart' ? { restartRecoverMs: 10 } : {}),
  ...extra,
});

type Obs = ScenarioResult['observations'];
const base = result().observations;
const withObs = (o: Partial<ScenarioResult['observations']>) =>
  result({ observations: { ...result().observations, ...o } });

describe('components', () => {
  it('says the common case once and names the probes that did not recover', () => {
    const all = withObs({ components: ['informer', 'lease-lock'].map((n) => probe(n, 'recovered')) });
    expect(componentsLine(all)).toBe('all 2 recovered');
    const mixed = withObs({
      components: [
        probe('informer', 'needs-restart'),
        probe('lease-lock', 'recovered'),
        probe('election', 'recovered'),
        probe('lease-holder', 'not-recovered'),
      ],
    });
    expect(componentsLine(mixed)).toBe(
      'NOT recovered: lease-holder; needs restart: informer; others recovered',
    );
  });
  it('shows warnings and the probe table with times and evidence', () => {
    const r = withObs({
      components: [
        probe('informer', 'needs-restart'),
        probe('occ-writer', 'recovered', { warnings: ['1 silent overwrite(s)'] }),
      ],
    });
    expect(componentsLine(r)).toBe(
      'needs restart: informer; recovered: occ-writer; occ-writer ⚠ 1 silent overwrite(s)',
    );
    const md = renderSummary(run([r]));
    expect(md).toContain('| informer | needs restart | after restart 0.0s | keysDiffering=5 |');
    expect(md).toContain('| occ-writer | recovered ⚠ 1 silent overwrite(s) | 0.3s | keysDiffering=0 |');
    expect(RunResultSchema.safeParse(run([r])).success).toBe(true);
  });
  it("a refused restore shows etcd's words and no data columns in the matrix", () => {
    const refused = (version: string) =>
      result({
        etcd: { version, origin: 'x' },
        verdict: 'as-expected',
        grade: { grade: 'unsafe', reasons: ['restore refused: corrupt snapshot'] },
        observations: {
          backup: { outcome: 'completed' },
          restore: {
            step: 'etcdutl snapshot restore (etcd1)',
            outcome: 'refused: corrupt snapshot',
            quote: 'snapshot missing hash but --skip-hash-check=false',
          },
        },
        checks: [],
      });
    const md = renderSummary(run([refused('3.4.23'), refused('3.5.30')], 0));
    expect(md).toContain(
      'The restore refused: corrupt snapshot at "etcdutl snapshot restore (etcd1)": snapshot missing hash but --skip-hash-check=false',
    );
    expect(md).toContain(
      '| restore refused: corrupt snapshot · **restore refused: corrupt snapshot** · 9.9s |',
    );
    expect(componentsLine(refused('3.4.23'))).toBe('not reached');
  });
  it('lists Kubernetes objects per type and says which differ', () => {
    const md = renderSummary(
      run([
        withObs({
          backupPoint: { ...base.backupPoint, byType: { pods: 40, services: 5 } } as Obs['backupPoint'],
          restored: { ...base.restored, byType: { pods: 39, services: 5 } } as Obs['restored'],
        }),
      ]),
    );
    expect(md).toContain(
      'Kubernetes objects per type (backup → restored): pods 40 → 39, services 5 (1 type(s) differ).',
    );
  });
});

describe('Kubernetes checks', () => {
  const m = (ok: boolean, ms: number) => ({
    ok,
    ms,
    evidence: ok ? {} : { staleInCache: ['ConfigMap drill-a/late-config'] },
  });
  const r = withObs({
    k8s: {
      version: '1.20.2',
      origin: 'debian bookworm',
      startMs: 8300,
      restartMs: 6300,
      checks: [
        { check: 'api-serves-backup', outcome: 'recovered', kept: m(true, 400), restarted: m(true, 300) },
        { check: 'watch-cache', outcome: 'needs-restart', kept: m(false, 10100), restarted: m(true, 500) },
      ],
      exits: [
        { component: 'kube-controller-manager', at: 'T', how: 'code 255', reason: 'leaderelection lost' },
      ],
    },
  });
  it('one line in the matrix, a table with both modes and the failing evidence in the section', () => {
    expect(k8sLine(r)).toBe('needs restart: watch-cache; recovered: api-serves-backup');
    const md = renderSummary(run([r]));
    expect(md).toContain('| watch-cache | FAILED (10.1s) | ok 0.5s | needs restart |');
    expect(md).toContain('- watch-cache (kept running): {"staleInCache":["ConfigMap drill-a/late-config"]}');
    expect(md).toContain('kube-controller-manager at T (code 255: leaderelection lost)');
    expect(RunResultSchema.safeParse(run([r])).success).toBe(true);
  });
  it("kind's self-recovery after the restore: how long, or why it did not come", () => {
    const k8s = r.observations.k8s;
    if (!k8s) throw new Error('the fixture has a Kubernetes report');
    const on = (selfRecovery: { readyMs?: number; error?: string }) =>
      renderSummary(run([withObs({ k8s: { ...k8s, selfRecovery } })]));
    expect(on({ readyMs: 41_000 })).toContain(
      'ready in 8.3s; ready by itself for the kept-running checks (waited 41.0s); restarted',
    );
    expect(
      on({ error: 'kind cluster not ready within 330000 ms: no kube-scheduler lease holder' }),
    ).toContain(
      'not ready by itself for the kept-running checks (kind cluster not ready within 330000 ms: no kube-scheduler lease holder); restarted',
    );
  });
});

describe('the fault timeline', () => {
  it('shows each fault with what the cluster said before, meanwhile and after the heal', () => {
    const lines = faultTimeline([
      {
        fault: 'pause',
        at: 'after restored',
        description: 'pause etcd1 (leader)',
        injectedAtMs: 10_000,
        healedAtMs: 15_000,
        healthBefore: 'etcd1 leader, etcd2 up, etcd3 up',
        timeline: [
          { atMs: 10_100, health: 'etcd1 paused, etcd2 up, etcd3 up' },
          { atMs: 11_200, health: 'etcd1 paused, etcd2 leader, etcd3 up' },
        ],
        healthAfter: 'etcd1 up, etcd2 leader, etcd3 up (up 300 ms after the heal)',
      },
    ]);
    expect(lines).toEqual([
      '| at | fault | what the cluster said |',
      '| --- | --- | --- |',
      '| 10.0s | pause (after restored): pause etcd1 (leader) | before: etcd1 leader, etcd2 up, etcd3 up |',
      '| 10.1s | | etcd1 paused, etcd2 up, etcd3 up |',
      '| 11.2s | | etcd1 paused, etcd2 leader, etcd3 up |',
      '| 15.0s | healed pause | after: etcd1 up, etcd2 leader, etcd3 up (up 300 ms after the heal) |',
      '',
    ]);
    expect(faultTimeline([])).toEqual([]);
  });
});

describe('an etcd without a v2 API (real run: 3.5.30 behind a stub bin dir whose --help hides the v2 flags)', () => {
  it('shows the v2 part as not applicable, with the reason, never as a count or an outcome', async () => {
    const run = await readRun(fileURLToPath(new URL('./fixtures/no-v2-api.results.json', import.meta.url)));
    const md = renderSummary(run);
    expect(md).toContain('| s5-v3-snapshot-all-members | 3.5.30 | process | 270 → 270 | n/a (no v2 API) |');
    expect(md).toContain(
      'v2 part (seeding, reads, the v2 data check) not applicable: etcd 3.5.30 has no v2 API (its etcd --help defines no --enable-v2)',
    );
    expect(md).toContain('Not applicable: etcd 3.5.30 has no v2 API');
    // The same result with the v2 API present says counts again: the lines come from the observation.
    const [s5] = run.results;
    if (!s5) throw new Error('fixture has s5');
    const { v2NotApplicable: _, ...rest } = s5.observations;
    const withV2 = renderSummary({ ...run, results: [{ ...s5, observations: rest }] });
    expect(withV2).not.toContain('n/a (no v2 API)');
    expect(withV2).not.toContain('v2 part (seeding');
  });
});

describe('Kubernetes 1.36 checks', () => {
  const m = (ok: boolean) => ({ ok, ms: 700, evidence: ok ? {} : { staleInCacheList: ['Drill x/late'] } });
  const r = withObs({
    k8sModern: {
      version: '1.36.4',
      origin: 'debian sid',
      startMs: 4100,
      restartMs: 2200,
      checks: [
        { check: 'quorum-list', outcome: 'recovered', kept: m(true), restarted: m(true) },
        { check: 'cache-list', outcome: 'needs-restart', kept: m(false), restarted: m(true) },
      ],
      exits: [],
    },
  });
  it('are labelled with their version in the matrix line and the section, apart from 1.20', () => {
    expect(k8sLine(r)).toBe('');
    expect(k8sLine(r, 'k8sModern')).toBe('needs restart: cache-list; recovered: quorum-list');
    const md = renderSummary(run([r]));
    expect(md).toContain(
      'Kubernetes 1.36.4 storage layer, apiextensions-apiserver (debian sid): ready in 4.1s',
    );
    expect(md).toContain(
      '| Kubernetes 1.36 check | apiserver kept running | after restarting it | outcome |',
    );
    expect(md).toContain('| cache-list | FAILED (0.7s) | ok 0.7s | needs restart |');
    expect(md).toContain('- cache-list (kept running): {"staleInCacheList":["Drill x/late"]}');
    expect(md).not.toContain('| Kubernetes check |');
    expect(RunResultSchema.safeParse(run([r])).success).toBe(true);
  });
  it('have their own part of a matrix cell', () => {
    const on = (version: string) => ({ ...r, etcd: { version, origin: 'x' } });
    const md = renderSummary(run([on('3.4.23'), on('3.5.30')]));
    expect(md).toContain(' · Kubernetes 1.36: needs restart: cache-list; recovered: quorum-list · ');
    expect(md).not.toContain(' · Kubernetes: ');
  });
});
