import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runDrill } from './drill.ts';
import { HarnessError } from './errors.ts';

// Refused before a scenario is read or a provider is asked: a bogus scenario id would fail later.
const refused = (o: Parameters<typeof runDrill>[0]) =>
  runDrill({ out: join(tmpdir(), 'etcd-drill-k8s-input'), scenarios: ['no-such-scenario'], ...o }).then(
    () => expect.unreachable(),
    (err: unknown) => {
      expect(err).toBeInstanceOf(HarnessError);
      expect((err as HarnessError).code).toBe('BAD_INPUT');
      return (err as HarnessError).message;
    },
  );

describe('runDrill: --k8s input', () => {
  it('refuses an unknown version and flags of the other version before anything else', async () => {
    expect(await refused({ k8s: '1.30' })).toMatch(/^--k8s "1\.30" is not a version/);
    expect(await refused({ k8s: 'modern', k8sShortLeases: true })).toMatch(/^--k8s-short-leases goes with/);
    expect(await refused({ k8sModernBinDir: '/m' })).toMatch(/^--k8s-modern-bin-dir only means something/);
    expect(await refused({ k8s: '1.36' })).toMatch(/no-such-scenario/);
  });
});

describe('runDrill: --provider kind input', () => {
  const kind = (o: Parameters<typeof runDrill>[0]) => refused({ provider: 'kind', etcd: '3.5.30', ...o });
  it('refuses faults, --k8s and a bad --kind-workers before Docker is asked or anything starts', async () => {
    expect(await kind({ scenarios: ['c-power-loss'] })).toMatch(
      /^the kind provider injects no faults yet, and c-power-loss name some/,
    );
    expect(await kind({ scenarios: ['s1-v3-snapshot-restore'], k8s: true })).toMatch(
      /kind runs its own: drop --k8s/,
    );
    expect(await kind({ scenarios: ['s1-v3-snapshot-restore'], kindWorkers: -1 })).toMatch(
      /--kind-workers must be a whole number >= 0, got -1/,
    );
  });
  it('refuses --kind-workers without --provider kind', async () => {
    expect(
      await refused({ provider: 'process', kindWorkers: 1, scenarios: ['s1-v3-snapshot-restore'] }),
    ).toMatch(/^--kind-workers only means something with --provider kind/);
  });
});
