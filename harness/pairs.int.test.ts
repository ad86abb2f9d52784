import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { runDrill } from './drill.ts';
import { parsePairs } from './pairs.ts';
import { resultCell } from './shard.ts';
import { offExpectation, timingOff } from './test-support/cells.ts';
import { runFolders } from './test-support/helpers.ts';

/**
 * Cross-version drills on real binaries: a backup taken on A restored with B's tools onto B, for the
 * pairs the README's table shows, each cell checked against its recorded expectation (the scenario
 * files' byVersion["A:B"], recorded from three runs). One scenario per family keeps it near 3 minutes:
 * the v3 snapshot restores (S1, s5, s6), the v2 backups (s2c: v2 only; s7: with v3) and the rolling
 * upgrade. The probes are left out: the pairs are about data.
 */
const PAIRS = parsePairs('3.3.25:3.4.23,3.4.23:3.5.16,3.5.16:3.5.30');
const SCENARIOS = [
  's1-v3-snapshot-restore',
  's5-v3-snapshot-all-members',
  's6-v3-snapshot-bump-revision',
  's2c-as-data-dir-stopped',
  's7-v2-backup-with-v3',
  'x1-rolling-upgrade-then-restore',
];

const out = await mkdtemp(join(tmpdir(), 'drill-pairs-'));
afterAll(() => rm(out, { recursive: true, force: true }));

describe('cross-version pairs on processes', () => {
  it('each pair cell matches its recorded expectation; s6 is n/a only where B has no --bump-revision', {
    timeout: 20 * 60_000,
  }, async () => {
    const { run, summary } = await runDrill({
      pairs: PAIRS,
      scenarios: SCENARIOS,
      provider: 'process',
      probes: false,
      parallel: 2,
      out,
      quiet: true,
    });
    expect(run.results).toHaveLength(SCENARIOS.length * PAIRS.length);
    // Every drill ran the pair it was given: A took the backup, B restored and ran the cluster.
    for (const r of run.results) {
      expect(r.restoreEtcd?.version, resultCell(r)).toBe(resultCell(r).split(':').at(-1));
      if (r.verdict === 'not-applicable') continue;
      const titles = r.steps.map((s) => s.title);
      expect(titles, resultCell(r)).toContain(
        `switch to etcd ${r.restoreEtcd?.version}'s etcd, etcdctl and etcdutl for the restore`,
      );
    }
    // The backup is a plain snapshot save on any version; the restore needs 3.5's etcdutl flags.
    const na = run.results.filter((r) => r.verdict === 'not-applicable');
    expect(na.map(resultCell)).toEqual(['s6-v3-snapshot-bump-revision@3.3.25:3.4.23']);
    expect(na[0]?.notApplicable).toMatch(/^restore with etcd 3\.4\.23: .*has no --bump-revision/);
    // The rolling upgrade replaced each member before the disaster: each then said it runs B.
    for (const r of run.results.filter((x) => x.scenarioId === 'x1-rolling-upgrade-then-restore')) {
      const up = r.faults.find((f) => f.fault === 'rolling-upgrade');
      const perMember = up?.evidence?.perMember as { serverVersion: string }[] | undefined;
      expect(
        perMember?.map((m) => m.serverVersion),
        resultCell(r),
      ).toEqual(Array(3).fill(r.restoreEtcd?.version));
    }
    const off = offExpectation(run.results);
    const timing = timingOff(run.results);
    expect(off).toEqual([]);
    expect(summary).toContain('| 3.3.25 → 3.4.23 | 3.4.23 → 3.5.16 | 3.5.16 → 3.5.30 |');
    expect(run.exitCode).toBe(timing.length ? 1 : 0);
  });
});

const bin = fileURLToPath(new URL('../bin/etcd-drill.js', import.meta.url));

describe('bad pairs on the command line', () => {
  it.each([
    [['matrix', '--pairs', '3.4.23'], /--pairs: "3\.4\.23" is not a version pair/],
    [['matrix', '--pairs', '3.4.23:9.9.9'], /--pairs: unknown etcd version "9\.9\.9"/],
    [['matrix', '--pairs', '3.4.23:3.5.16', '--etcd', '3.5.30'], /--pairs and --etcd both name/],
    [
      ['run', '--restore-etcd', '3.4.23', '-s', 's5-v3-snapshot-all-members', '--provider', 'process'],
      /names one version twice/,
    ],
  ])('%j: one line, exit 2, nothing left behind', async (args, message) => {
    const before = runFolders();
    const res = await execa('node', [bin, ...args, '--out', join(out, 'bad')], { reject: false });
    expect(res.exitCode).toBe(2);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toMatch(message);
    expect(runFolders()).toEqual(before);
    expect(existsSync(join(out, 'bad'))).toBe(false);
  });
});
