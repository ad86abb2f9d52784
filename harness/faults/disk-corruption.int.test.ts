import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runDrill } from '../drill.ts';
import { faultScenarioDir } from '../test-support/fault-scenario.ts';
import { drillProcesses } from '../test-support/helpers.ts';

const out = await mkdtemp(join(tmpdir(), 'disk-corruption-'));
const dirs: string[] = [out];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function drill(version: string, fault: Record<string, unknown>, provider = 'process') {
  const dir = await faultScenarioDir('disk-corruption', 'v3-snapshot-all-members', [
    { kind: 'disk-corruption', target: 'etcd3', ...fault },
  ]);
  dirs.push(dir);
  const { run, workDir } = await runDrill({
    scenarioDir: dir,
    provider,
    etcd: version,
    out,
    quiet: true,
    probes: false,
  });
  const [r] = run.results;
  console.log(`OBS ${version} ${JSON.stringify(fault)} ${JSON.stringify(r?.checks.find((c) => c.id === "member-corruption")?.observed)} ${JSON.stringify(r?.observations.memberCorruption)} ${JSON.stringify(r?.error)}`);
  // Nothing of ours left behind, whatever etcd did.
  expect(drillProcesses(workDir)).toHaveLength(0);
  expect(existsSync(workDir)).toBe(false);
  return r;
}

const check = (r: Awaited<ReturnType<typeof drill>>) => r?.checks.find((c) => c.id === 'member-corruption');

describe.each(['3.3.25', '3.5.30'])('disk corruption of a restored member on etcd %s', (version) => {
  it('flip-db: 4 bytes of a stored value; the member serves the damaged value and hashes differently', async () => {
    const r = await drill(version, { how: 'flip-db' });
    const o = r?.observations.memberCorruption;
    expect(r?.error).toBeUndefined();
    expect(o?.running).toBe(true);
    expect(o?.alarms).toEqual([]);
    expect(check(r)?.observed).toBe('silently serves the damage');
    // The data check reads each member on its own: the damaged one disagrees.
    expect(r?.checks.find((c) => c.id === 'v3-data')?.observed).toBe('divergent');
  });

  it('flip-db with --experimental-initial-corrupt-check: observed and classified', async () => {
    const r = await drill(version, { how: 'flip-db', corruptCheck: true });
    expect(r?.error).toBeUndefined();
    expect(r?.observations.memberCorruption?.corruptCheck).toBe(true);
    expect(check(r)?.observed).toBe('silently serves the damage');
    expect(r?.observations.memberCorruption?.etcdSaid.join('\n')).toMatch(/corruption check/i);
  });

  it('truncate-wal: the newest WAL cut to half of its records; etcd repairs it', async () => {
    const r = await drill(version, { how: 'truncate-wal' });
    const o = r?.observations.memberCorruption;
    expect(r?.error).toBeUndefined();
    expect(o?.etcdSaid.join('\n')).toMatch(/repair/i);
    if (version === '3.3.25') {
      expect(check(r)?.observed).toBe('refuses to start');
      expect(o?.quote).toMatch(/tocommit\(\d+\) is out of range \[lastIndex\(\d+\)\]/);
    } else {
      expect(check(r)?.observed).toBe('no damage served');
    }
  });
});
