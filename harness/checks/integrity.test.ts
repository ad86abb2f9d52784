import { describe, expect, it } from 'vitest';
import { historiesDiffer, INTEGRITY_OUTCOMES, type IntegrityView, integrityOutcome } from './integrity.ts';

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
      'revision mismatch',
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
  it('hashes that agree at the lowest revision are a revision mismatch when the members cannot share a history', () => {
    // The broken runbook, as seen: etcd1 restored (seeded in 3 txns), etcd2 and etcd3 started empty.
    const positions = [
      { member: 'etcd1', revision: 4, raftIndex: 9, applied: true },
      { member: 'etcd2', revision: 1, raftIndex: 9, applied: true },
      { member: 'etcd3', revision: 1, raftIndex: 8, applied: true },
    ];
    expect(integrityOutcome(view(look(7, 7, 7), { positions }))).toBe('revision mismatch');
  });
});

describe('members of one history', () => {
  const at = (revision: number, raftIndex: number, applied = true) => ({
    member: `m${revision}`,
    revision,
    raftIndex,
    applied,
  });
  it('a member ahead by n entries may be ahead by up to n revisions (10 more where 3.3 gives its committed index)', () => {
    expect(historiesDiffer([at(100, 50), at(103, 53)])).toBe(false);
    expect(historiesDiffer([at(100, 50), at(113, 53, false)])).toBe(false);
    expect(historiesDiffer([at(100, 50), at(104, 53)])).toBe(true);
    expect(historiesDiffer([at(100, 50), at(100, 60)])).toBe(false); // entries that write nothing
    expect(historiesDiffer([at(100, 50), at(100, 50)])).toBe(false);
  });
  it('further ahead in revisions than in entries, or ahead in revisions while behind in entries, is not', () => {
    expect(historiesDiffer([at(100, 50), at(114, 53, false)])).toBe(true);
    expect(historiesDiffer([at(101, 50), at(100, 51)])).toBe(true);
  });
});
