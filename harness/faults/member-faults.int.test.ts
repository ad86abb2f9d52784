import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { docker, drillOnce, scenarioWithFaults } from '../test-support/helpers.ts';

const out = await mkdtemp(join(tmpdir(), 'member-faults-'));
afterAll(() => rm(out, { recursive: true, force: true }));

const PROVIDERS = docker ? (['process', 'container'] as const) : (['process'] as const);
if (!docker) console.warn('member faults: no Docker engine answers; the container provider is not exercised');

async function drill(provider: 'process' | 'container', id: string, faults: object[]) {
  const scenarioDir = await scenarioWithFaults(out, id, faults);
  return drillOnce({ provider, etcd: '3.5.30', out, scenarioDir, scenarios: [id] });
}

describe.each(PROVIDERS)('member faults on %s (etcd 3.5.30)', (provider) => {
  it('kill: a member killed as it starts during the restore is seen down, restarted at the heal, and the restore completes', async () => {
    const r = await drill(provider, 's5-v3-snapshot-all-members', [
      { kind: 'kill', target: 'etcd2', at: { during: 'restore' }, delayMs: 0, forMs: 2000 },
    ]);
    const kill = r.faults.find((f) => f.fault === 'kill');
    expect(kill?.description).toBe('SIGKILL etcd2 (etcd2)');
    expect(kill?.timeline?.map((t) => t.health).some((h) => h.includes('etcd2 down'))).toBe(true);
    // Healed after forMs, or sooner when the restore ended first.
    expect(kill?.healedAtMs).toBeGreaterThan(kill?.injectedAtMs ?? Number.POSITIVE_INFINITY);
    // Restarted at the heal: running. One look, straight after it, since the cluster was not up before
    // the fault (a restore in progress): a member still joining is "unhealthy" there (seen on containers).
    expect(kill?.healthAfter).toMatch(/etcd2 (up|leader|unhealthy)/);
    expect(r.error).toBeUndefined();
    expect(r.observations.restore?.outcome).toBe('completed');
  });

  it('pause: the frozen leader is seen paused, another member leads meanwhile, and all are up after the heal', async () => {
    const r = await drill(provider, 's5-v3-snapshot-all-members', [
      { kind: 'pause', target: 'leader', at: { after: 'restored' }, forMs: 5000 },
    ]);
    const pause = r.faults.find((f) => f.fault === 'pause');
    const frozen = String(pause?.evidence?.member);
    expect(pause?.healthBefore).toContain(`${frozen} leader`);
    const lines = pause?.timeline?.map((t) => t.health) ?? [];
    expect(lines[0]).toContain(`${frozen} paused`);
    // The others elect a leader while it is frozen (etcd's election timeout is 1 s by default).
    expect(lines.some((l) => l.includes(`${frozen} paused`) && / leader/.test(l))).toBe(true);
    expect(pause?.healthAfter).toMatch(/up \d+ ms after the heal/);
    expect(r.error).toBeUndefined();
  });
});

describe('a fault that never struck', () => {
  it('makes the drill unknown, naming the fault and where to place it, and leaves nothing', async () => {
    // Between the disaster and the restore no member runs: there is nothing to kill.
    const r = await drill('process', 's5-v3-snapshot-all-members', [
      { kind: 'kill', target: 'etcd2', at: { after: 'disaster' } },
    ]);
    expect(r.verdict).toBe('unknown');
    expect(r.error?.message).toMatch(
      /kill: etcd2 did not run before its phase ended, so the fault never struck/,
    );
    expect(r.faults.map((f) => f.fault)).not.toContain('kill');
  });
});
