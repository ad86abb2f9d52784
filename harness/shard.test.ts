import { describe, expect, it } from 'vitest';
import { assignShards, matrixIdentity, parseShard } from './shard.ts';

const CELLS = ['s1@3.3.25', 's1@3.5.30', 's2@3.3.25', 's2@3.5.30', 's5@3.3.25', 's5@3.5.30', 's6@3.5.30'];

const shuffled = (xs: readonly string[], seed: number) =>
  [...xs]
    .map((x, i) => ({ x, k: (i * 7919 + seed * 104729) % 101 }))
    .sort((a, b) => a.k - b.k)
    .map((e) => e.x);

describe('--shard i/n', () => {
  it('takes i/n with 1 <= i <= n and nothing else', () => {
    expect(parseShard('2/3')).toEqual({ index: 2, total: 3 });
    expect(parseShard('1/1')).toEqual({ index: 1, total: 1 });
    for (const bad of ['0/3', '4/3', 'x', '1/0', '1/', '/3', '-1/3', '1.5/3', '1/3/4', ''])
      expect(parseShard(bad), bad).toBeUndefined();
  });
});

describe('shard assignment', () => {
  it('round robin over the sorted cells without durations, whatever the input order', () => {
    const a = assignShards(CELLS, 3);
    expect(a.assignment).toBe('round-robin');
    expect(a.shards).toEqual([
      ['s1@3.3.25', 's2@3.5.30', 's6@3.5.30'],
      ['s1@3.5.30', 's5@3.3.25'],
      ['s2@3.3.25', 's5@3.5.30'],
    ]);
    expect(assignShards(shuffled(CELLS, 3), 3)).toEqual(a);
  });

  it('every cell exactly once across the shards, for any n (more shards than cells too)', () => {
    for (const n of [1, 2, 3, 5, 9]) {
      for (const durations of [undefined, new Map(CELLS.map((c, i) => [c, 1000 * (i + 1)]))]) {
        const { shards } = assignShards(CELLS, n, durations);
        expect(shards).toHaveLength(n);
        expect(shards.flat().sort()).toEqual([...CELLS].sort());
      }
    }
  });

  it('by durations: longest first onto the least-loaded shard, balanced within the longest cell', () => {
    const durations = new Map([
      ['s1@3.3.25', 20_000],
      ['s1@3.5.30', 18_000],
      ['s2@3.3.25', 11_000],
      ['s2@3.5.30', 10_000],
      ['s5@3.3.25', 9_000],
      ['s5@3.5.30', 8_000],
      ['s6@3.5.30', 0],
    ]);
    const { shards, assignment } = assignShards(CELLS, 2, durations);
    expect(assignment).toBe('durations');
    expect(shards).toEqual([
      ['s1@3.3.25', 's2@3.5.30', 's5@3.5.30', 's6@3.5.30'],
      ['s1@3.5.30', 's2@3.3.25', 's5@3.3.25'],
    ]);
    const loads = shards.map((s) => s.reduce((a, c) => a + (durations.get(c) ?? 0), 0));
    expect(Math.max(...loads) - Math.min(...loads)).toBeLessThanOrEqual(20_000);
    // Round robin over the same cells would put 20 s + 11 s + 9 s + 0 on one shard and 18 s + 10 s + 8 s on the other.
  });

  it('the same assignment on every machine: input order and equal durations do not change it', () => {
    const equal = new Map(CELLS.map((c) => [c, 5000]));
    const first = assignShards(CELLS, 3, equal);
    for (const seed of [1, 2, 3, 4]) expect(assignShards(shuffled(CELLS, seed), 3, equal)).toEqual(first);
    // Ties broken by cell id: with equal durations the sorted cells are dealt in turn.
    expect(first.shards[0]).toEqual(['s1@3.3.25', 's2@3.5.30', 's6@3.5.30']);
  });

  it('cells without a recorded duration count at the mean of those with one', () => {
    const partial = new Map([
      ['s1@3.3.25', 30_000],
      ['s1@3.5.30', 10_000],
    ]);
    const { shards, assignment } = assignShards(['s1@3.3.25', 's1@3.5.30', 'new@3.5.30'], 2, partial);
    expect(assignment).toBe('durations');
    // 30 s alone; the new cell (20 s, the mean) joins the 10 s one.
    expect(shards).toEqual([['s1@3.3.25'], ['new@3.5.30', 's1@3.5.30']]);
  });
});

describe('matrix identity', () => {
  const def = {
    cells: CELLS,
    provider: 'process',
    tls: false,
    extensions: ['probes'],
    require: 'expected',
  };
  it('is the same for the same matrix, whatever the order of its cells', () => {
    expect(matrixIdentity({ ...def, cells: shuffled(CELLS, 5) })).toBe(matrixIdentity(def));
  });
  it('differs when anything that changes a cell does', () => {
    const id = matrixIdentity(def);
    for (const other of [
      { cells: CELLS.slice(1) },
      { provider: 'container' },
      { tls: true },
      { extensions: [] },
      { require: 'safe' },
      { label: 'pipeline-42' },
    ])
      expect(matrixIdentity({ ...def, ...other }), JSON.stringify(other)).not.toBe(id);
  });
});
