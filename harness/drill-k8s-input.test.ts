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
