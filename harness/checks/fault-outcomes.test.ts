import { describe, expect, it } from 'vitest';
import type { MemberCorruption } from '../result.ts';
import { memberCorruptionOutcome, restoredQuotaOutcome } from './fault-outcomes.ts';

const base: MemberCorruption = {
  member: 'etcd3',
  how: 'flip-db',
  damage: {},
  corruptCheck: false,
  running: true,
  healthy: true,
  etcdSaid: [],
  alarms: [],
  hashes: [
    { member: 'etcd1', hash: 1 },
    { member: 'etcd2', hash: 1 },
    { member: 'etcd3', hash: 2 },
  ],
};

describe('member corruption outcome', () => {
  it('classes what etcd did', () => {
    expect(memberCorruptionOutcome(base)).toBe('silently serves the damage');
    expect(memberCorruptionOutcome({ ...base, hashes: base.hashes?.map((h) => ({ ...h, hash: 1 })) })).toBe(
      'no damage served',
    );
    expect(memberCorruptionOutcome({ ...base, alarms: ['Corrupt on 7'] })).toBe('detected');
    expect(memberCorruptionOutcome({ ...base, running: false, quote: 'tocommit(14) is out of range' })).toBe(
      'refuses to start',
    );
    const refused = {
      ...base,
      running: false,
      corruptCheck: true,
      quote: 'found data inconsistency with peers',
    };
    expect(memberCorruptionOutcome(refused)).toBe('detected');
    expect(memberCorruptionOutcome({ ...base, healthy: false })).toBe('unhealthy');
  });
  it('a running member without hashes is unknown, not an outcome', () => {
    expect(() => memberCorruptionOutcome({ ...base, hashes: undefined })).toThrow(/no hash/);
  });
});

describe('restored quota outcome', () => {
  it('alarm and write, or unknown when no write was tried', () => {
    const o = { running: 3, alarms: ['Nospace on 1'], write: 'refused' as const };
    expect(restoredQuotaOutcome(o)).toBe('NOSPACE alarm, writes refused');
    expect(restoredQuotaOutcome({ ...o, alarms: [], write: 'accepted' })).toBe('no alarm, writes accepted');
    expect(restoredQuotaOutcome({ ...o, running: 0, write: 'not tried' })).toBe('no member running');
    expect(() => restoredQuotaOutcome({ ...o, write: 'not tried' })).toThrow();
  });
});
