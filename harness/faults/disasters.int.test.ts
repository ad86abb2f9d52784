import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ScenarioResult } from '../result.ts';
import { timingOnly } from '../test-support/cells.ts';
import { drillOnce, scenarioWithFaults } from '../test-support/helpers.ts';

const out = await mkdtemp(join(tmpdir(), 'disasters-'));
afterAll(() => rm(out, { recursive: true, force: true }));

async function drill(version: string, id: string, faults?: object[]): Promise<ScenarioResult> {
  const scenarioDir = faults ? await scenarioWithFaults(out, id, faults) : undefined;
  const r = await drillOnce({
    provider: 'process',
    etcd: version,
    out,
    scenarios: [id],
    ...(scenarioDir ? { scenarioDir } : {}),
  });
  expect(r.error).toBeUndefined();
  return r;
}

/** Checks off their recorded expectation, leaving out those about timing (as the matrix does). */
const unexpected = (r: ScenarioResult) =>
  r.checks
    .filter((c) => c.verdict !== 'as-expected' && !timingOnly(c))
    .map((c) => `${c.id}: ${c.observed} (expected ${c.expected})`);
const steps = (r: ScenarioResult) => r.steps.map((s) => s.title);
const outcomes = (r: ScenarioResult, api: 'v2' | 'v3') =>
  r.observations.restored?.members.map((m) => m[api].outcome);

describe.each(['3.5.30', '3.3.25'])('the disasters that really happen, on etcd %s', (version) => {
  it('quorum-loss: two members gone with their disks, the survivor refuses a write and keeps its data dir, which the restore replaces', async () => {
    const r = await drill(version, 'c-s1-quorum-loss');
    const f = r.faults.find((x) => x.fault === 'quorum-loss');
    expect(f?.evidence?.lost).toEqual(['etcd2', 'etcd3']);
    const view = f?.evidence?.survivorWithoutQuorum as { healthy: boolean; write: string };
    expect(view.healthy).toBe(false);
    expect(view.write).not.toBe('accepted');
    expect(steps(r)).toContain("remove etcd1's surviving data dir (the restore writes a new one)");
    expect(outcomes(r, 'v3')).toEqual(['restored', 'restored', 'restored']);
    expect(unexpected(r)).toEqual([]);
  });

  it('lose-one-member + replace-member: exactly the pre-disaster data, post-backup writes kept', async () => {
    const r = await drill(version, 'c-replace-member');
    const f = r.faults.find((x) => x.fault === 'lose-one-member');
    const lost = String(f?.evidence?.lost);
    expect(f?.evidence?.survivorsHealthy).toHaveLength(2);
    expect(steps(r).some((s) => s.startsWith(`member remove ${lost} (`))).toBe(true);
    expect(steps(r)).toContain(`member add ${lost} and start it`);
    for (const m of r.observations.restored?.members ?? []) {
      for (const api of ['v2', 'v3'] as const) {
        expect([m.name, api, m[api].outcome, m[api].against, m[api].lostAfterBackup]).toEqual([
          m.name,
          api,
          'restored',
          'pre-disaster',
          0,
        ]);
        expect(m[api].postBackupSeen.length).toBeGreaterThan(0);
      }
    }
    expect(r.observations.restored?.members).toHaveLength(3);
    expect(unexpected(r)).toEqual([]);
  });

  it('power-loss + restart-in-place: every member killed at once, restarted on its data, no acknowledged write lost', async () => {
    const r = await drill(version, 'c-power-loss');
    const f = r.faults.find((x) => x.fault === 'power-loss');
    const dirs = f?.evidence?.dataDirs as { dbBytes: number; walFiles: number }[];
    expect(dirs.every((x) => x.dbBytes > 0 && x.walFiles > 0)).toBe(true);
    expect(outcomes(r, 'v3')).toEqual(['restored', 'restored', 'restored']);
    expect(r.observations.restored?.members.every((m) => m.v3.lostAfterBackup === 0)).toBe(true);
    expect(r.checks.find((c) => c.id === 'member-ids')?.observed).toBe('kept');
    expect(unexpected(r)).toEqual([]);
  });

  it("restore-over-old-data-dir: the v2 backup copied over etcd1's surviving data dir (the write-up's node2)", async () => {
    const r = await drill(version, 's3-v2-backup-without-snapshot', [
      { kind: 'quorum-loss', survivor: 'etcd1' },
      { kind: 'restore-over-old-data-dir', member: 'etcd1' },
    ]);
    const f = r.faults.find((x) => x.fault === 'restore-over-old-data-dir');
    expect(f?.evidence?.snap).toContain('db');
    expect(steps(r)).toContain(
      "copy the v2 backup in as etcd1's data dir over its surviving one (snapshot: none)",
    );
    expect(steps(r)).not.toContain("remove etcd1's surviving data dir (the restore writes a new one)");
    // What etcd made of it (observed 2026-11-30): the backup's own db and WAL replace the old ones.
    expect(outcomes(r, 'v3')).toEqual(['lost', 'lost', 'lost']);
  });
});
