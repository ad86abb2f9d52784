import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { faultScenarioDir } from '../test-support/fault-scenario.ts';
import { drillOnce } from '../test-support/helpers.ts';

const out = await mkdtemp(join(tmpdir(), 'nospace-'));
const dirs: string[] = [out];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function drill(version: string, faults: Record<string, unknown>[]) {
  const dir = await faultScenarioDir('nospace', 'v3-snapshot-all-members', faults);
  dirs.push(dir);
  return drillOnce({ scenarioDir: dir, provider: 'process', etcd: version, out });
}

const observed = (r: Awaited<ReturnType<typeof drill>>, id: string) =>
  r?.checks.find((c) => c.id === id)?.observed;

describe.each(['3.3.25', '3.5.30'])('NOSPACE on etcd %s', (version) => {
  it('a cluster at NOSPACE is backed up; the alarm comes back with the snapshot and refuses writes', async () => {
    const r = await drill(version, [
      { kind: 'nospace', quotaBytes: 2_000_000 },
      { kind: 'restore-quota' }, // the restored members get etcd's default quota
    ]);
    expect(r?.error).toBeUndefined();
    const fill = r?.faults.find((f) => f.fault === 'nospace')?.evidence;
    expect(fill?.refusal).toMatch(/database space exceeded/);
    expect(String(fill?.alarms)).toMatch(/nospace/i);
    expect(observed(r, 'backup')).toBe('completed');
    // The restored members carry the snapshot's NOSPACE alarm; 3.5.30 was once seen healthy for a
    // moment, long enough for the restore's health wait to pass (1 of 3 runs), then degraded.
    const restore = observed(r, 'restore');
    expect(version === '3.5.30' ? ['failed: alarm raised', 'completed'] : ['failed: alarm raised']).toContain(
      restore,
    );
    if (restore === 'completed') expect(observed(r, 'integrity')).toBe('alarm');
    else expect(r?.observations.restore?.quote).toMatch(/nospace/i);
    expect(observed(r, 'restored-quota')).toBe('NOSPACE alarm, writes refused');
  });

  it('a backup restored into members whose quota is smaller than its data', async () => {
    const r = await drill(version, [{ kind: 'restore-quota', quotaBytes: 16_384 }]);
    expect(r?.error).toBeUndefined();
    expect(observed(r, 'backup')).toBe('completed');
    expect(r?.observations.restoredQuota?.quotaBytes).toBe(16_384);
    // No alarm at first; the first write is refused over the quota (and raises NOSPACE).
    expect(observed(r, 'restored-quota')).toBe('no alarm, writes refused');
    expect(observed(r, 'integrity')).toBe('alarm');
  });
});
