import { describe, expect, it } from 'vitest';
import { classify, diffKeysets, summarizeDiff } from './diff.ts';

const ks = (o: Record<string, string>) => new Map(Object.entries(o));

describe('diffKeysets / classify', () => {
  it('identical keysets are restored', () => {
    const d = diffKeysets(ks({ a: '1', b: '2' }), ks({ a: '1', b: '2' }));
    expect(d).toMatchObject({ same: 2, missing: [], extra: [], changed: [] });
    expect(classify(d)).toBe('restored');
  });
  it('nothing back is lost', () => {
    const d = diffKeysets(ks({ a: '1' }), ks({}));
    expect(d.missing).toEqual(['a']);
    expect(classify(d)).toBe('lost');
  });
  it('a changed value is partial, not restored', () => {
    const d = diffKeysets(ks({ a: '1', b: '2' }), ks({ a: '1', b: 'X' }));
    expect(d.changed).toEqual(['b']);
    expect(classify(d)).toBe('partial');
  });
  it('keys that were not in the backup are extra', () => {
    const d = diffKeysets(ks({ a: '1' }), ks({ a: '1', post: '9' }));
    expect(d.extra).toEqual(['post']);
    expect(classify(d)).toBe('extra');
  });
  it('missing and extra together are a mismatch', () => {
    expect(classify(diffKeysets(ks({ a: '1' }), ks({ z: '1' })))).toBe('mismatch');
  });
  it('empty before and after counts as restored', () => {
    expect(classify(diffKeysets(ks({}), ks({})))).toBe('restored');
  });
  it('summaries keep counts and the first n keys', () => {
    const before = new Map(Array.from({ length: 25 }, (_, i) => [`k${String(i).padStart(2, '0')}`, 'v']));
    const s = summarizeDiff(diffKeysets(before, new Map()), 10);
    expect(s.missing).toBe(25);
    expect(s.firstMissing).toHaveLength(10);
    expect(s.firstMissing[0]).toBe('k00');
  });
});
