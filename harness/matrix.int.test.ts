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
 * CI's representative matrix: every scenario on the oldest and the newest version (etcdctl's v2
 * backup and etcdutl's). The whole matrix (four versions) is `npm run matrix`; the README shows its
 * latest results.
 */
const CI_VERSIONS = ['3.3.25', '3.5.30'];

const out = await mkdtemp(join(tmpdir(), 'drill-matrix-'));
afterAll(() => rm(out, { recursive: true, force: true }));

describe('the version matrix on processes', () => {
  it('runs every scenario on the oldest and newest version, and each cell matches its recorded expectation', {
    timeout: 40 * 60_000,
  }, async () => {
    const versions = CI_VERSIONS;
    const { run, summary } = await runDrill({ versions, provider: 'process', out, quiet: true });
    const scenarios = (await loadScenarios([...STRATEGIES.keys()])).filter((s) => s.catalogue === 'main');
    expect(run.results).toHaveLength(scenarios.length * versions.length);
    const off = offExpectation(run.results);
    const timing = timingOff(run.results);
    expect(off).toEqual([]);
    // The procedure answer is there for every cell that ran.
    for (const r of run.results)
      if (r.verdict !== 'not-applicable') expect(r.grade.grade, r.scenarioId).not.toBe('not-applicable');
    // Exactly the cells the table expects are n/a, for the reason it gives: a cell that becomes n/a
    // (a gate asking the binaries wrongly) fails here, as does a gate that stops holding.
    const na = run.results
      .filter((r) => r.verdict === 'not-applicable')
      .map((r) => ({ cell: `${r.scenarioId}@${r.etcd.version}`, reason: r.notApplicable ?? '' }));
    const cells = new Set(scenarios.flatMap((s) => versions.map((v) => `${s.id}@${v}`)));
    const inRun = EXPECTED_NOT_APPLICABLE.filter((c) => cells.has(c.cell));
    expect(na.map((c) => c.cell).sort()).toEqual(inRun.map((c) => c.cell).sort());
    for (const c of na) {
      expect(c.reason, c.cell).toMatch(
        EXPECTED_NOT_APPLICABLE.find((e) => e.cell === c.cell)?.reason ?? /^$/,
      );
    }
    expect(summary).toContain('## Version matrix');
    expect(run.exitCode).toBe(off.length || timing.length ? 1 : 0);
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
