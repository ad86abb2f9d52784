import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runDrill } from '../drill.ts';
import { drillProcesses } from '../test-support/helpers.ts';

const out = await mkdtemp(join(tmpdir(), 'corrupt-reports-'));
afterAll(() => rm(out, { recursive: true, force: true }));

describe.each(['3.4.23', '3.5.30'])('a corrupt snapshot on etcd %s', (version) => {
  it.each([
    ['s8-corrupt-snapshot-truncate', /snapshot missing hash but --skip-hash-check=false/],
    ['s9-corrupt-snapshot-flip-bytes', /expected sha256 \[[\d ]+\], got \[[\d ]+\]/],
  ])('%s: the restore is refused with etcd quoted, as expected, and nothing is left', async (id, words) => {
    const { run, summary, workDir } = await runDrill({
      scenarios: [id],
      provider: 'process',
      etcd: version,
      out,
      quiet: true,
    });
    const [r] = run.results;
    expect(r?.error).toBeUndefined();
    expect(r?.observations.restore?.outcome).toBe('refused: corrupt snapshot');
    expect(r?.observations.restore?.quote).toMatch(words);
    expect(r?.checks.map((c) => [c.id, c.observed, c.verdict])).toEqual([
      ['backup', 'completed', 'as-expected'],
      ['restore', 'refused: corrupt snapshot', 'as-expected'],
    ]);
    expect(r?.verdict).toBe('as-expected');
    expect(r?.grade).toEqual({ grade: 'unsafe', reasons: ['restore refused: corrupt snapshot'] });
    expect(run.exitCode).toBe(0);
    expect(summary).toContain('The restore refused: corrupt snapshot at "');
    expect(drillProcesses(workDir)).toHaveLength(0);
    expect(existsSync(workDir)).toBe(false);
  });
});

describe('the refusal check can fail', () => {
  it('a snapshot replaced by a good one before the restore completes it: unexpected, exit 1', async () => {
    const { run } = await runDrill({
      scenarios: ['s8-corrupt-snapshot-truncate'],
      provider: 'process',
      etcd: '3.5.30',
      out,
      quiet: true,
      probes: false,
      // Undo the fault: a fresh snapshot over the truncated one, while the cluster still runs.
      beforeDisaster: async (cluster, files) => {
        const snap = files.find((f) => f.endsWith('.db')) as string;
        await rm(snap);
        await cluster.etcdctl(['snapshot', 'save', snap], { endpoints: [cluster.members[0] as never] });
      },
    });
    const [r] = run.results;
    expect(r?.observations.restore?.outcome).toBe('completed');
    const restore = r?.checks.find((c) => c.id === 'restore');
    expect([restore?.expected, restore?.observed, restore?.verdict]).toEqual([
      'refused: corrupt snapshot',
      'completed',
      'unexpected',
    ]);
    expect(run.exitCode).toBe(1);
  });
});
