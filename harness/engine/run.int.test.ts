import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RunResultSchema } from '../../reports/schema.ts';
import { runDrill } from '../drill.ts';
import { Refusal } from '../errors.ts';
import { SCENARIO_DIR } from '../scenario.ts';
import { STRATEGIES } from '../strategies/index.ts';
import type { Strategy } from '../strategies/types.ts';
import { drillProcesses, runFolders } from '../test-support/helpers.ts';

const out = await mkdtemp(join(tmpdir(), 'drill-engine-'));
afterAll(() => rm(out, { recursive: true, force: true }));

const s1 = STRATEGIES.get('v3-snapshot-force-new-cluster') as Strategy;
const replaced = (name: string, s: Strategy) => new Map([...STRATEGIES, [name, s]]);
const quick = { provider: 'process', probes: false, out, quiet: true } as const;

describe('the engine never turns a harness failure into a verdict about etcd', () => {
  it("a strategy's supports() that throws makes that drill unknown and keeps every other drill's report", async () => {
    const strategies = replaced(s1.name, {
      ...s1,
      supports: () => Promise.reject(new Error('seam: supports() failed')),
    });
    const { run, reportDir } = await runDrill({
      ...quick,
      strategies,
      scenarios: ['s1-v3-snapshot-restore', 's8-corrupt-snapshot-truncate'],
    });
    const [broken, other] = run.results;
    expect(broken?.verdict).toBe('unknown');
    expect(broken?.grade.grade).toBe('unknown');
    expect(broken?.error?.message).toBe('seam: supports() failed');
    expect(other?.scenarioId).toBe('s8-corrupt-snapshot-truncate');
    expect(other?.verdict).not.toBe('unknown');
    expect(run.exitCode).toBe(2);
    const file = RunResultSchema.parse(JSON.parse(await readFile(join(reportDir, 'results.json'), 'utf8')));
    expect(file.results).toHaveLength(2);
  });

  it('a backup etcd refuses is a finding: the drill ends there, graded "backup failed", nothing left behind', async () => {
    const before = runFolders();
    const strategies = replaced(s1.name, {
      ...s1,
      backup: () => Promise.reject(new Refusal('failed', 'etcdutl backup', 'timeout', 'backup')),
    });
    const { run, workDir } = await runDrill({ ...quick, strategies, scenarios: ['s1-v3-snapshot-restore'] });
    const [r] = run.results;
    expect(r?.error).toBeUndefined();
    expect(r?.checks.map((c) => [c.id, c.observed])).toEqual([['backup', 'failed']]);
    expect(r?.grade).toEqual({ grade: 'unsafe', reasons: ['backup failed (failed)'] });
    expect(r?.steps.some((s) => s.phase === 'restore' || s.phase === 'disaster')).toBe(false);
    expect(run.exitCode).toBe(1); // the scenario expects the backup to complete
    expect(drillProcesses(workDir)).toHaveLength(0);
    expect(runFolders()).toEqual(before);
  });

  it('a fault placed after the backup is not injected once etcd failed the backup: the finding stands', async () => {
    const all = STRATEGIES.get('v3-snapshot-all-members') as Strategy;
    const strategies = replaced(all.name, {
      ...all,
      backup: () =>
        Promise.reject(new Refusal('failed', 'etcdctl snapshot save', 'context deadline exceeded', 'backup')),
    });
    const { run } = await runDrill({ ...quick, strategies, scenarios: ['s8-corrupt-snapshot-truncate'] });
    const [r] = run.results;
    expect(r?.error).toBeUndefined();
    expect(r?.faults).toEqual([]);
    expect(r?.checks.map((c) => [c.id, c.observed])).toEqual([['backup', 'failed']]);
  });

  it('every fault is recorded with its place and time: two faults on one drill are two records', async () => {
    const dir = join(out, 'scenarios');
    await cp(SCENARIO_DIR, dir, { recursive: true });
    const file = join(dir, 's8-corrupt-snapshot-truncate.json');
    const s = JSON.parse(await readFile(file, 'utf8'));
    s.faults = [
      { kind: 'corrupt-snapshot', how: 'flip-bytes' },
      { kind: 'corrupt-snapshot', how: 'truncate' },
    ];
    await writeFile(file, JSON.stringify(s));
    const { run } = await runDrill({
      ...quick,
      scenarioDir: dir,
      scenarios: ['s8-corrupt-snapshot-truncate'],
    });
    const faults = run.results[0]?.faults ?? [];
    expect(faults.map((f) => [f.fault, f.at, f.description])).toEqual([
      ['corrupt-snapshot', 'after backup', 'corrupt the snapshot (flip-bytes)'],
      ['corrupt-snapshot', 'after backup', 'corrupt the snapshot (truncate)'],
      ['lose-every-member', 'during disaster', 'killed etcd1, etcd2, etcd3 and removed their data dirs'],
    ]);
    expect(faults[1]?.injectedAtMs).toBeGreaterThanOrEqual(
      faults[0]?.injectedAtMs ?? Number.POSITIVE_INFINITY,
    );
    expect(run.results[0]?.observations.restore?.outcome).toBe('refused: corrupt snapshot');
  });
});
