import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { netLeftovers } from './cluster/netns.ts';
import { runDrill } from './drill.ts';
import { loadScenarios } from './scenario.ts';
import { STRATEGIES } from './strategies/index.ts';
import { offExpectation, timingOff } from './test-support/cells.ts';
import { drillProcesses, runFolders } from './test-support/helpers.ts';

/**
 * CI's representative chaos run: one catalogue scenario per fault kind, on the newest version. The
 * whole catalogue on every version is `npm run chaos`; the README shows its latest results.
 */
const CI_VERSION = '3.5.30';
const CI_SCENARIOS = [
  'c-s1-kill-restore',
  'c-s5-partition-rebuild',
  'c-s6-load-backup',
  'c-s5-quorum-loss',
  'c-replace-member',
  'c-power-loss',
  'c-s1-restore-over-old',
  'c-nospace-backup',
  'c-restore-quota-small',
  'c-disk-flip-db',
  'c-disk-flip-db-checked',
];

const out = await mkdtemp(join(tmpdir(), 'drill-chaos-'));
afterAll(() => rm(out, { recursive: true, force: true }));

describe('the chaos catalogue on processes', () => {
  it(`runs a scenario per fault kind on ${CI_VERSION}: each cell as recorded, every fault in place, nothing left`, {
    timeout: 30 * 60_000,
  }, async () => {
    const before = runFolders();
    const { run, workDir } = await runDrill({
      scenarios: CI_SCENARIOS,
      etcd: CI_VERSION,
      provider: 'process',
      probes: false,
      out,
      quiet: true,
    });
    const chaos = (await loadScenarios([...STRATEGIES.keys()])).filter((s) => s.catalogue === 'chaos');
    expect(run.results.map((r) => r.scenarioId)).toEqual(CI_SCENARIOS);
    // Every fault kind the catalogue uses is in CI's set.
    const kinds = (ids: readonly string[]) =>
      new Set(chaos.filter((s) => ids.includes(s.id)).flatMap((s) => s.faults.map((f) => f.kind)));
    expect([...kinds(CI_SCENARIOS)].sort()).toEqual([...kinds(chaos.map((s) => s.id))].sort());
    timingOff(run.results);
    expect(offExpectation(run.results)).toEqual([]);
    for (const r of run.results) {
      // Each named fault took place and every one that heals was healed.
      const named = chaos.find((s) => s.id === r.scenarioId)?.faults.map((f) => f.kind) ?? [];
      expect(
        r.faults.map((f) => f.fault),
        r.scenarioId,
      ).toEqual(expect.arrayContaining(named));
      for (const f of r.faults) expect(f.healthBefore, `${r.scenarioId} ${f.fault}`).toBeDefined();
    }
    expect(drillProcesses(workDir)).toHaveLength(0);
    expect(Object.values(await netLeftovers(run.runId)).flat()).toHaveLength(0);
    expect(runFolders()).toEqual(before);
  });
});
