import { describe, expect, it } from 'vitest';
import {
  compareKeys,
  DiffTally,
  type Entry,
  MergeAgainst,
  mergeSorted,
  mergeStreams,
  sortedEntries,
} from './merge.ts';
import { ProvenanceStream, provenance } from './provenance.ts';

const entries = (o: Record<string, string>): Entry[] =>
  Object.entries(o).sort(([a], [b]) => compareKeys(a, b));

async function* stream(es: readonly Entry[]): AsyncGenerator<Entry> {
  for (const e of es) yield e;
}

describe('compareKeys: etcd order (UTF-8 bytes) for JS strings', () => {
  it('orders as the UTF-8 bytes do, astral characters after U+E000..U+FFFF', () => {
    const keys = ['/a', '/a/b', '/b', '/\u{ff5e}', '/\u{1f600}', '/\u00e9', '/Z'];
    const byBytes = [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    expect([...keys].sort(compareKeys)).toEqual(byBytes);
    // Plain UTF-16 order disagrees for exactly these two:
    expect(['/\u{ff5e}', '/\u{1f600}'].sort()).toEqual(['/\u{1f600}', '/\u{ff5e}']);
  });
});

describe('mergeSorted', () => {
  it('names missing, extra and changed keys in key order, with counts', () => {
    const d = mergeSorted(entries({ a: '1', b: '2', c: '3', e: '5' }), entries({ a: '1', b: 'X', d: '4' }));
    expect(d).toMatchObject({
      expected: 4,
      observed: 3,
      same: 1,
      missing: ['c', 'e'],
      extra: ['d'],
      changed: ['b'],
      counts: { missing: 2, extra: 1, changed: 1 },
    });
  });
  it('keeps only the first keys of each kind, and counts them all', () => {
    const many = Array.from({ length: 50 }, (_, i): Entry => [`k${String(i).padStart(2, '0')}`, 'v']);
    const d = mergeSorted(many, [], new DiffTally(5));
    expect(d.missing).toEqual(['k00', 'k01', 'k02', 'k03', 'k04']);
    expect(d.counts.missing).toBe(50);
    expect(mergeSorted([], many, new DiffTally(3)).counts.extra).toBe(50);
  });
  it('refuses input out of key order rather than report differences that are not there', () => {
    expect(() => mergeSorted(entries({ a: '1' }), [['b', '1'] as const, ['a', '1'] as const])).toThrow(
      /observed keys out of order: "a" after "b"/,
    );
  });
  it('an identical keyspace is all the same', () => {
    const es = entries({ x: '1', y: '2' });
    expect(mergeSorted(es, es)).toMatchObject({ same: 2, counts: { missing: 0, extra: 0, changed: 0 } });
  });
});

describe('MergeAgainst: observed keys fed one by one', () => {
  it('gives what mergeSorted gives', () => {
    const b = entries({ a: '1', c: '3', d: '4', f: '6' });
    const r = entries({ b: '2', c: '9', d: '4', g: '7' });
    const m = new MergeAgainst(b);
    for (const [k, v] of r) m.add(k, v);
    expect(m.finish()).toEqual(mergeSorted(b, r));
  });
});

describe('mergeStreams: two keyspaces read side by side', () => {
  it('gives what mergeSorted gives, on either side running out first', async () => {
    const b = entries({ a: '1', c: '3', d: '4', z: '0' });
    const r = entries({ b: '2', c: '9', d: '4' });
    expect(await mergeStreams(stream(b), stream(r))).toEqual(mergeSorted(b, r));
    expect(await mergeStreams(stream(r), stream(b))).toEqual(mergeSorted(r, b));
    expect(await mergeStreams(stream([]), stream(b))).toMatchObject({ counts: { extra: 4 } });
  });
});

describe('sortedEntries', () => {
  it('passes a map in key order through as it is and sorts one that is not', () => {
    const inOrder = new Map(entries({ a: '1', b: '2' }));
    expect(sortedEntries(inOrder)).toBe(inOrder);
    expect([
      ...sortedEntries(
        new Map([
          ['b', '2'],
          ['a', '1'],
        ]),
      ),
    ]).toEqual([
      ['a', '1'],
      ['b', '2'],
    ]);
  });
});

describe('ProvenanceStream: provenance of R as it is read', () => {
  const b = new Map(entries({ a: '1', gone: 'g', keep: 'k' }));
  const d = new Map(entries({ a: '2', keep: 'k', marker: 'm' }));
  const cases: Record<string, Record<string, string>> = {
    restored: { a: '1', gone: 'g', keep: 'k' },
    'post-backup': { a: '2', keep: 'k', marker: 'm' },
    partial: { a: '1', keep: 'k' },
    mismatch: { a: '1', gone: 'g', keep: 'k', stranger: 's' },
    lost: {},
  };
  for (const [outcome, r] of Object.entries(cases))
    it(`fed key by key, says ${outcome} as the whole-map provenance does`, () => {
      const s = new ProvenanceStream(b, d);
      for (const [k, v] of entries(r)) s.add(k, v);
      const p = s.finish();
      expect(p.outcome).toBe(outcome);
      expect(p).toEqual(provenance(b, d, new Map(Object.entries(r))));
    });
});
