import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runDrill } from '../drill.ts';
import type { ScenarioResult } from '../result.ts';
import { drillProcesses } from '../test-support/helpers.ts';

// The probes across real restores on etcd 3.5.30: a plain restore must show the failure the write-up
// saw (components stale until restarted), the bump-revision restore must show them recovering.

const out = await mkdtemp(join(tmpdir(), 'probe-drills-'));
afterAll(() => rm(out, { recursive: true, force: true }));

async function drill(scenario: string): Promise<ScenarioResult> {
  const { run, workDir } = await runDrill({
    scenarios: [scenario],
    provider: 'process',
    etcd: '3.5.30',
    out,
    quiet: true,
  });
  expect(drillProcesses(workDir)).toHaveLength(0);
  const [r] = run.results;
  if (!r) throw new Error('one result expected');
  expect(r.error).toBeUndefined();
  return r;
}

const outcome = (r: ScenarioResult, probe: string) =>
  r.observations.components?.find((p) => p.probe === probe);

describe('component probes across restores on etcd 3.5.30', () => {
  it('plain snapshot restore (all members): revision goes backwards and the informer stays stale until restarted', async () => {
    const r = await drill('s5-v3-snapshot-all-members');
    const rev = r.checks.find((c) => c.id === 'revision');
    expect(rev?.observed).toBe('backwards');
    expect(rev?.evidence).toMatchObject({ historyBelowStartReadable: true });
    const inf = outcome(r, 'informer');
    expect(inf?.outcome).toBe('needs-restart');
    // Stale: what was written after the restore (or undone by it) is not in its cache.
    expect(inf?.evidence.keysDiffering).toBeGreaterThan(0);
    expect(inf?.evidence.relists).toBe(0);
    expect(inf?.afterRestart?.keysDiffering).toBe(0);
  });

  it('bump-revision + mark-compacted restore: revision moves forward, history is compacted, every probe recovers', async () => {
    const r = await drill('s6-v3-snapshot-bump-revision');
    const rev = r.checks.find((c) => c.id === 'revision');
    expect(rev?.observed).toBe('forward');
    expect(rev?.evidence).toMatchObject({ historyBelowStartReadable: false });
    expect(r.observations.components?.map((p) => [p.probe, p.outcome])).toEqual([
      ['informer', 'recovered'],
      ['lease-lock', 'recovered'],
      ['election', 'recovered'],
      ['occ-writer', 'recovered'],
      ['lease-holder', 'recovered'],
    ]);
    // The informer recovered by relisting after its watch was cancelled as compacted.
    expect(outcome(r, 'informer')?.evidence.relists).toBeGreaterThan(0);
  });

  it('v2 data-dir restore (v3 lost, revision back near 1): the lease holder loses its lease', async () => {
    const r = await drill('s2-v2-backup-as-data-dir');
    const lh = outcome(r, 'lease-holder');
    expect(lh?.outcome).toBe('needs-restart');
    expect(lh?.evidence.keysAttached).toBe('0/3');
    expect(outcome(r, 'informer')?.outcome).toBe('needs-restart');
  });
});
