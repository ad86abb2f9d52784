import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A folder holding one scenario file with these faults, for runDrill's scenarioDir: its expectations
 * are left unrecorded, so tests read the observations, not the verdicts.
 */
export async function faultScenarioDir(
  id: string,
  strategy: string,
  faults: readonly Record<string, unknown>[],
): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fault-scenario-'));
  const scenario = {
    id,
    title: id,
    description: `test scenario: ${faults.map((f) => f.kind).join(', ')}`,
    fixtures: { v2: 'flannel', v3: 'k8s', objects: 60 },
    strategy,
    faults,
    expect: {
      v3: { outcome: 'restored', source: { kind: 'default', ref: 'test' } },
      v2: { outcome: 'lost', source: { kind: 'default', ref: 'test' } },
      membership: { outcome: 'healthy', source: { kind: 'default', ref: 'test' } },
    },
  };
  await writeFile(join(dir, `${id}.json`), JSON.stringify(scenario));
  return dir;
}
