import { describe, expect, it } from 'vitest';
import { INTEGRITY_OUTCOMES, type IntegrityView, integrityOutcome } from './integrity.ts';

const look = (...hashes: number[]) => ({
  revision: 10,
  hashes: hashes.map((hash, i) => ({ member: `etcd${i + 1}`, hash })),
});
const view = (l: ReturnType<typeof look>, more: Partial<IntegrityView> = {}): IntegrityView => ({
  ...l,
  alarms: [],
  ...more,
});

describe('integrity outcome', () => {
  it('lists its outcomes in one place', () => {
    expect(INTEGRITY_OUTCOMES).toEqual([
      'consistent',
      'transient mismatch',
      'hash mismatch',
      'incomplete',
      'alarm',
    ]);
  });
  it('consistent when every member runs, hashes alike and no alarm is raised', () => {
    expect(integrityOutcome(view(look(1, 1, 1)))).toBe('consistent');
  });
  it('a differing hash is a mismatch', () => {
    expect(integrityOutcome(view(look(1, 2, 1)))).toBe('hash mismatch');
  });
  it('an alarm wins', () => {
    expect(integrityOutcome(view(look(1), { alarms: ['NOSPACE on 1'] }))).toBe('alarm');
  });
  it('a member not running makes it incomplete, never consistent', () => {
    expect(integrityOutcome(view(look(1, 1), { missing: ['etcd3'] }))).toBe('incomplete');
  });
  it('no hash at all is incomplete, never consistent', () => {
    expect(integrityOutcome(view(look()))).toBe('incomplete');
    expect(integrityOutcome(view(look(), { missing: ['etcd1', 'etcd2', 'etcd3'] }))).toBe('incomplete');
  });
  it('a mismatch that held on every look is a finding even with a member missing', () => {
    expect(integrityOutcome(view(look(1, 2), { missing: ['etcd3'] }))).toBe('hash mismatch');
  });
  it('a mismatch that healed within the looks is a transient mismatch, not consistent', () => {
    const looks = [look(1, 2, 1), look(3, 3, 3)];
    expect(integrityOutcome(view(look(3, 3, 3), { looks }))).toBe('transient mismatch');
    // With a member missing, agreement still cannot be claimed.
    expect(integrityOutcome(view(look(3, 3), { looks, missing: ['etcd3'] }))).toBe('incomplete');
  });
});
