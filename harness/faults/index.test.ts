import { describe, expect, it } from 'vitest';
import { FAULT_KINDS, FaultSchema, faultsFor } from './index.ts';

describe('the fault registry', () => {
  it('builds each named fault at its default placement, and adds the default disaster', () => {
    const spec = FaultSchema.parse({ kind: 'kill', target: 'leader' });
    const [kill, disaster] = faultsFor({ faults: [spec] });
    expect(kill?.at).toEqual({ during: 'restore' });
    expect(disaster?.name).toBe('lose-every-member');
  });

  it('a scenario that names a disaster gets no other', () => {
    const faults = faultsFor({ faults: [FaultSchema.parse({ kind: 'lose-every-member' })] });
    expect(faults.map((f) => f.name)).toEqual(['lose-every-member']);
  });

  it('passes placement, delay and duration through to the plug-in', () => {
    const spec = FaultSchema.parse({
      kind: 'pause',
      target: 'etcd2',
      at: { during: 'backup' },
      delayMs: 200,
      forMs: 3000,
    });
    expect(faultsFor({ faults: [spec] })[0]).toMatchObject({
      at: { during: 'backup' },
      delayMs: 200,
      forMs: 3000,
    });
  });

  it.each([
    [{ kind: 'melt' }, 'kind'],
    [{ kind: 'kill', target: 'etcd1', typo: 1 }, 'typo'],
    [{ kind: 'kill', target: 'boss' }, 'target'],
    [{ kind: 'kill', target: 'etcd1', at: { after: 'restore' }, delayMs: 5 }, 'delayMs'],
    [{ kind: 'kill', target: 'etcd1', at: { during: 'nap' } }, 'at'],
  ])('refuses %j, naming %s', (spec, field) => {
    const r = FaultSchema.safeParse(spec);
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toContain(field);
  });

  it('every kind says what it does and what each provider can do', () => {
    for (const k of FAULT_KINDS) {
      expect(k.summary.length).toBeGreaterThan(10);
      for (const p of Object.values(k.providers)) expect(p === true || p.length > 5).toBe(true);
    }
  });
});
