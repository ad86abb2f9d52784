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
 * CI's representative chaos run: the whole fault catalogue on the newest version. Every version is
 * `npm run chaos`; the README shows its latest results.
 */
const CI_VERSION = '3.5.30';

const out = await mkdtemp(join(tmpdir(), 'drill-chaos-'));
afterAll(() => rm(out, { recursive: true, force: true }));

describe('the chaos catalogue on processes', () => {
  it(`runs every fault scenario on ${CI_VERSION}: each cell as recorded, every fault healed, nothing left`, {
    timeout: 30 * 60_000,
  }, async () => {
    const before = runFolders();
    const { run, workDir } = await runDrill({
      catalogue: 'chaos',
      etcd: CI_VERSION,
      provider: 'process',
      probes: false,
      out,
      quiet: true,
    });
    const chaos = (await loadScenarios([...STRATEGIES.keys()])).filter((s) => s.catalogue === 'chaos');
    expect(run.results.map((r) => r.scenarioId).sort()).toEqual(chaos.map((s) => s.id).sort());
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
