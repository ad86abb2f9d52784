import { describe, expect, it } from 'vitest';
import { diffKeysets, summarizeDiff } from './diff.ts';
import { provenance, writtenAfter } from './provenance.ts';

const ks = (o: Record<string, string>) => new Map(Object.entries(o));

describe('diffKeysets', () => {
  it('names missing, extra and changed keys', () => {
    const d = diffKeysets(ks({ a: '1', b: '2', c: '3' }), ks({ a: '1', b: 'X', z: '9' }));
    expect(d).toMatchObject({ same: 1, missing: ['c'], extra: ['z'], changed: ['b'] });
  });
  it('summaries keep counts and the first n keys', () => {
    const before = new Map(Array.from({ length: 25 }, (_, i) => [`k${String(i).padStart(2, '0')}`, 'v']));
    const s = summarizeDiff(diffKeysets(before, new Map()), 10);
    expect(s.missing).toBe(25);
    expect(s.firstMissing).toHaveLength(10);
    expect(s.firstMissing[0]).toBe('k00');
  });
});

describe('provenance', () => {
  // Backup point, then: marker added, a changed, gone deleted.
  const b = ks({ a: '1', gone: 'g', keep: 'k' });
  const d = ks({ a: '2', keep: 'k', marker: 'm' });

  it('lists what was written after the backup, deletions included', () => {
    expect(writtenAfter(b, d)).toEqual(['a', 'gone', 'marker']);
  });
  it('exactly the backup point is restored, and every post-backup write is the RPO', () => {
    const p = provenance(b, d, ks({ a: '1', gone: 'g', keep: 'k' }));
    expect(p.outcome).toBe('restored');
    expect(p.postBackupSeen).toEqual([]);
    expect(p.lostAfterBackup).toEqual(['a', 'gone', 'marker']);
  });
  it('the live state instead of the backup is post-backup, with nothing lost', () => {
    const p = provenance(b, d, d);
    expect(p.outcome).toBe('post-backup');
    expect(p.postBackupSeen).toEqual(['a', 'gone', 'marker']);
    expect(p.lostAfterBackup).toEqual([]);
  });
  it('one post-backup write is enough to say the data is not from the backup alone', () => {
    expect(provenance(b, d, ks({ a: '1', gone: 'g', keep: 'k', marker: 'm' })).postBackupSeen).toEqual([
      'marker',
    ]);
    expect(provenance(b, d, ks({ a: '1', gone: 'g', keep: 'k', marker: 'm' })).outcome).toBe('post-backup');
  });
  it('nothing back is lost; some of the backup and nothing newer is partial', () => {
    expect(provenance(b, d, ks({})).outcome).toBe('lost');
    expect(provenance(b, d, ks({ a: '1', keep: 'k' })).outcome).toBe('partial');
  });
  it('keys from neither moment are a mismatch', () => {
    expect(provenance(b, d, ks({ a: '1', gone: 'g', keep: 'k', stranger: 's' })).outcome).toBe('mismatch');
  });
  it('an empty backup restored empty is restored', () => {
    expect(provenance(ks({}), ks({ m: '1' }), ks({})).outcome).toBe('restored');
  });
});

describe('provenance against the cluster before the disaster (replace-member, restart in place)', () => {
  const b = ks({ a: '1', gone: 'g', keep: 'k' });
  const d = ks({ a: '2', keep: 'k', marker: 'm' });
  const against = 'pre-disaster' as const;

  it('exactly the pre-disaster data is restored, every post-backup write kept, none lost', () => {
    const p = provenance(b, d, d, against);
    expect(p.outcome).toBe('restored');
    expect(p.postBackupSeen).toEqual(['a', 'gone', 'marker']);
    expect(p.lostAfterBackup).toEqual([]);
  });
  it('falling back to the backup point is a finding: the post-backup writes are lost', () => {
    const p = provenance(b, d, b, against);
    expect(p.outcome).toBe('mismatch');
    expect(p.lostAfterBackup).toEqual(['a', 'gone', 'marker']);
  });
  it('an acknowledged write missing is partial; nothing back is lost', () => {
    expect(provenance(b, d, ks({ a: '2', keep: 'k' }), against).outcome).toBe('partial');
    expect(provenance(b, d, ks({}), against).outcome).toBe('lost');
  });
});
