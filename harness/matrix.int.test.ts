import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runDrill } from './drill.ts';
import { MARKER_KEY } from './observe/writes.ts';
import { loadScenarios } from './scenario.ts';
import { saveSnapshot } from './strategies/common.ts';
import { STRATEGIES } from './strategies/index.ts';
import { offExpectation, timingOff } from './test-support/cells.ts';
import { EXPECTED_NOT_APPLICABLE } from './test-support/not-applicable.ts';

/**
 * CI's representative matrix: every scenario on the newest version (etcdutl's v2 backup), and the
 * write-up's own four on the oldest, nearest the write-up's ~3.2 (etcdctl's). The whole matrix (four
 * versions, every scenario) is `npm run matrix`; the README shows its latest results. CI ran every
 * scenario on both until its time neared the 90-min limit (77 min, 2026-12-02).
 */
const NEWEST = '3.5.30';
const OLDEST = '3.3.25';
const WRITE_UP = [
  's1-v3-snapshot-restore',
  's2-v2-backup-as-data-dir',
  's3-v2-backup-without-snapshot',
  's4-v2-backup-snapshot-as-db',
];

const out = await mkdtemp(join(tmpdir(), 'drill-matrix-'));
afterAll(() => rm(out, { recursive: true, force: true }));

describe('the version matrix on processes', () => {
  it("runs every scenario on the newest version and the write-up's on the oldest, each cell as recorded", {
    timeout: 40 * 60_000,
  }, async () => {
    const newest = await runDrill({ versions: [NEWEST], provider: 'process', out, quiet: true });
    const scenarios = (await loadScenarios([...STRATEGIES.keys()])).filter((s) => s.catalogue === 'main');
    // Plus the scenarios its binaries cannot run: their gates still answer n/a (cheap, no cluster).
    const gated = scenarios
      .map((s) => s.id)
      .filter((id) => EXPECTED_NOT_APPLICABLE.some((c) => c.cell === `${id}@${OLDEST}`));
    const oldIds = [...WRITE_UP, ...gated];
    const oldest = await runDrill({
      versions: [OLDEST],
      scenarios: oldIds,
      provider: 'process',
      out,
      quiet: true,
    });
    const results = [...newest.run.results, ...oldest.run.results];
    expect(newest.run.results).toHaveLength(scenarios.length);
    expect(oldest.run.results.map((r) => r.scenarioId).sort()).toEqual([...oldIds].sort());
    // Per run: each run's exit code answers for its own cells.
    const offs = [newest, oldest].map(({ run }) => ({
      run,
      off: offExpectation(run.results),
      timing: timingOff(run.results),
    }));
    expect(offs.flatMap((o) => o.off)).toEqual([]);
    // The procedure answer is there for every cell that ran.
    for (const r of results)
      if (r.verdict !== 'not-applicable') expect(r.grade.grade, r.scenarioId).not.toBe('not-applicable');
    // Exactly the cells the table expects are n/a, for the reason it gives: a cell that becomes n/a
    // (a gate asking the binaries wrongly) fails here, as does a gate that stops holding.
    const na = results
      .filter((r) => r.verdict === 'not-applicable')
      .map((r) => ({ cell: `${r.scenarioId}@${r.etcd.version}`, reason: r.notApplicable ?? '' }));
    const cells = new Set([
      ...scenarios.map((s) => `${s.id}@${NEWEST}`),
      ...oldIds.map((id) => `${id}@${OLDEST}`),
    ]);
    const inRun = EXPECTED_NOT_APPLICABLE.filter((c) => cells.has(c.cell));
    expect(na.map((c) => c.cell).sort()).toEqual(inRun.map((c) => c.cell).sort());
    for (const c of na) {
      expect(c.reason, c.cell).toMatch(
        EXPECTED_NOT_APPLICABLE.find((e) => e.cell === c.cell)?.reason ?? /^$/,
      );
    }
    // One version per run, so no version-matrix table: every cell is in its run's summary instead.
    for (const { run, summary } of [newest, oldest])
      for (const r of run.results) expect(summary).toContain(`## ${r.scenarioId} on etcd ${r.etcd.version}`);
    for (const { run, off, timing } of offs) expect(run.exitCode).toBe(off.length || timing.length ? 1 : 0);
  });
});

describe('provenance can fail', () => {
  it('a snapshot from the wrong moment (after the post-backup writes) is reported as post-backup data, not the backup', async () => {
    const { run } = await runDrill({
      scenarios: ['s1-v3-snapshot-restore'],
      provider: 'process',
      out,
      quiet: true,
      // Replace the backup with one taken after the markers were written.
      beforeDisaster: async (cluster) => {
        await saveSnapshot(cluster, { step: (_t, fn) => fn(), note: () => {} });
      },
    });
    const v3 = run.results[0]?.checks.find((c) => c.id === 'v3-data');
    expect(v3?.observed).toBe('post-backup');
    expect(v3?.verdict).toBe('unexpected');
    expect((v3?.evidence as { postBackupSeen?: string[] } | undefined)?.postBackupSeen).toContain(MARKER_KEY);
    expect(run.exitCode).toBe(1);
  });
});
