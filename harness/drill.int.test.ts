import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { componentsLine } from '../reports/render.ts';
import { RunResultSchema } from '../reports/schema.ts';
import { runDrill } from './drill.ts';
import { gradeText } from './engine/grade.ts';
import { memberHealthy, withV3 } from './etcd/api.ts';
import { silentLogger } from './log.ts';
import { drillProcesses, runFolders } from './test-support/helpers.ts';
import { sweepLeftovers } from './workdir.ts';

const out = await mkdtemp(join(tmpdir(), 'drill-reports-'));
afterAll(() => rm(out, { recursive: true, force: true }));

describe.each(['3.4.23', '3.3.25', '3.5.30'])(
  'S1 (v3 snapshot restore) on etcd %s, through the CLI code path',
  (version) => {
    it('restores every v3 key with its value, loses the v2 keys, and brings back 3 healthy members', async () => {
      const before = runFolders();
      const { run, reportDir, workDir, summary } = await runDrill({
        scenarios: ['s1-v3-snapshot-restore'],
        provider: 'process',
        etcd: version,
        out,
        quiet: true,
      });
      const [r] = run.results;
      if (!r) throw new Error('one result expected');
      expect(r.error).toBeUndefined();
      expect(r.etcd.version).toBe(version);
      const o = r.observations;
      expect([o.backupPoint?.v2.count, o.backupPoint?.v3.count]).toEqual([7, 270]);
      expect(o.restored?.members.map((m) => [m.v2.keys.count, m.v3.keys.count])).toEqual([
        [0, 270],
        [0, 270],
        [0, 270],
      ]);
      const v3 = r.checks.find((c) => c.id === 'v3-data');
      expect(v3?.observed).toBe('restored');
      expect(v3?.evidence).toMatchObject({ same: 270, missing: 0, extra: 0, changed: 0 });
      expect(r.checks.find((c) => c.id === 'v2-data')?.observed).toBe('lost');
      expect(r.checks.find((c) => c.id === 'membership')?.observed).toBe('healthy');
      expect(o.restored?.membership.members.map((m) => m.name)).toEqual(['etcd1', 'etcd2', 'etcd3']);
      expect(r.verdict).toBe('as-expected');
      // Both answers: the write-up's S1 loses the flannel v2 entries, exactly as recorded.
      expect(r.grade.grade).toBe('unsafe');
      expect(r.grade.reasons).toContain('data loss (v2: 7 of 7 entries)');
      expect(run.exitCode).toBe(0);

      // The files say what the console says.
      const json = JSON.parse(readFileSync(join(reportDir, 'results.json'), 'utf8'));
      expect(RunResultSchema.parse(json)).toEqual(JSON.parse(JSON.stringify(run)));
      expect(readFileSync(join(reportDir, 'summary.md'), 'utf8')).toBe(summary);
      expect(summary).toContain(
        `| s1-v3-snapshot-restore | ${version} | process | 270 → 270 | 7 → 0 | healthy (3/3) | ${componentsLine(r)} | ${gradeText(r.grade)} | as expected |`,
      );
      expect(existsSync(join(reportDir, 's1-v3-snapshot-restore', 'logs', 'etcd1.log'))).toBe(true);

      // Nothing left behind.
      expect(drillProcesses(workDir)).toHaveLength(0);
      expect(existsSync(workDir)).toBe(false);
      expect(runFolders()).toEqual(before);
    });
  },
);

describe('the checks can fail', () => {
  it('a key deleted after the restore is reported missing, and the verdict is unexpected (exit 1)', async () => {
    const victim = '/registry/namespaces/kube-system';
    const { run, summary } = await runDrill({
      scenarios: ['s1-v3-snapshot-restore'],
      provider: 'process',
      out,
      quiet: true,
      afterRestore: (cluster) => withV3(cluster.access(), async (c) => void (await c.delete().key(victim))),
    });
    const [r] = run.results;
    const v3 = r?.checks.find((c) => c.id === 'v3-data');
    expect(v3?.observed).toBe('partial');
    expect(v3?.verdict).toBe('unexpected');
    expect(v3?.evidence).toMatchObject({ missing: 1, firstMissing: [victim] });
    expect(r?.verdict).toBe('unexpected');
    expect(run.exitCode).toBe(1);
    expect(summary).toContain(`- v3-data: 1 missing: \`${victim}\``);
  });

  it('a changed value is caught even though the key count is right', async () => {
    const victim = '/registry/services/specs/default/kubernetes';
    const { run } = await runDrill({
      scenarios: ['s1-v3-snapshot-restore'],
      provider: 'process',
      out,
      quiet: true,
      afterRestore: (cluster) =>
        withV3(cluster.access(), async (c) => void (await c.put(victim).value('{}'))),
    });
    const v3 = run.results[0]?.checks.find((c) => c.id === 'v3-data');
    expect(run.results[0]?.observations.restored?.members[0]?.v3.keys.count).toBe(270);
    expect(v3?.evidence).toMatchObject({ changed: 1, firstChanged: [victim] });
    expect(v3?.verdict).toBe('unexpected');
  });

  it('a member lost after the restore makes membership degraded', async () => {
    const { run, workDir } = await runDrill({
      scenarios: ['s1-v3-snapshot-restore'],
      provider: 'process',
      out,
      quiet: true,
      afterRestore: async (cluster) => cluster.members[2]?.kill(),
    });
    const m = run.results[0]?.checks.find((c) => c.id === 'membership');
    expect(m?.observed).toBe('degraded');
    expect(m?.evidence).toMatchObject({ members: 3, healthy: 2 });
    expect(drillProcesses(workDir)).toHaveLength(0);
  });
});

describe('--keep', () => {
  it('leaves the restored cluster serving until `clean`', async () => {
    const { run } = await runDrill({
      scenarios: ['s1-v3-snapshot-restore'],
      provider: 'process',
      out,
      quiet: true,
      keep: true,
    });
    const kept = run.results[0]?.kept;
    expect(kept?.endpoints).toHaveLength(3);
    for (const ep of kept?.endpoints ?? []) expect((await memberHealthy(ep)).healthy).toBe(true);
    // A later run's sweep leaves kept clusters alone …
    await sweepLeftovers(silentLogger);
    expect(drillProcesses(kept?.workDir)).toHaveLength(3);
    // … `etcd-drill clean` removes them.
    await sweepLeftovers(silentLogger, { includeKept: true });
    expect(drillProcesses(kept?.workDir)).toHaveLength(0);
    expect(existsSync(kept?.workDir ?? '/nonexistent')).toBe(false);
  });
});
