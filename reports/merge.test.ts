import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../harness/result.ts';
import { resultCell } from '../harness/shard.ts';
import { mergeShards, readShards, resultFiles, type ShardFile } from './merge.ts';

/**
 * Real shard results: `matrix -s s5-v3-snapshot-all-members s6-v3-snapshot-bump-revision
 * --etcd 3.5.30,3.4.23 --provider process --no-probes --shard 1/2` and `2/2` (2026-12-01).
 */
const FIXTURES = join(import.meta.dirname, 'fixtures', 'shards');
const real = () => readShards([join(FIXTURES, '1of2'), join(FIXTURES, '2of2')]);

const withShard = (
  s: ShardFile,
  over: Partial<NonNullable<RunResult['shard']>>,
  file = s.file,
): ShardFile => ({
  file,
  run: { ...s.run, shard: { ...(s.run.shard as NonNullable<RunResult['shard']>), ...over } },
});

describe('report merge of real shard results', () => {
  it('joins them into the cells of the whole matrix, in the order an unsharded run lists them', async () => {
    const shards = await real();
    const run = mergeShards(shards);
    const of = shards[0]?.run.shard?.of ?? [];
    expect(of).toHaveLength(4);
    expect(run.results.map(resultCell)).toEqual(of);
    // Each cell is the shard's own result, unchanged.
    for (const s of shards)
      for (const r of s.run.results)
        expect(run.results.find((x) => resultCell(x) === resultCell(r))).toEqual(r);
    expect(run.shard).toBeUndefined();
    expect(run.merged?.from.map((f) => f.index)).toEqual([1, 2]);
    expect(run.merged?.missing).toEqual([]);
    expect(run.startedAt <= run.finishedAt).toBe(true);
  });

  it('recomputes the exit code from the joined verdicts, as a single run does', async () => {
    const shards = await real();
    expect(mergeShards(shards).exitCode).toBe(0);
    const [a, b] = shards as [ShardFile, ShardFile];
    const first = b.run.results[0] as RunResult['results'][number];
    const worse = {
      ...b,
      run: { ...b.run, results: [{ ...first, verdict: 'unexpected' as const }, ...b.run.results.slice(1)] },
    };
    expect(mergeShards([a, worse]).exitCode).toBe(1);
    const unknown = {
      ...b,
      run: { ...b.run, results: [{ ...first, verdict: 'unknown' as const }, ...b.run.results.slice(1)] },
    };
    expect(mergeShards([a, unknown]).exitCode).toBe(2);
    expect(mergeShards([a, { ...b, run: { ...b.run, exitCode: 130 } }]).exitCode).toBe(130);
  });

  it('finds results.json in a shard folder or in the run folders under a --out folder', async () => {
    const files = resultFiles([join(FIXTURES, '1of2'), join(FIXTURES, '2of2', 'results.json')]);
    expect(files).toEqual([join(FIXTURES, '1of2', 'results.json'), join(FIXTURES, '2of2', 'results.json')]);
    expect(resultFiles([FIXTURES])).toEqual(files);
  });
});

describe('report merge refuses, in one line naming the fix', () => {
  const refuse = async (f: (s: ShardFile[]) => ShardFile[], re: RegExp, o = {}) => {
    const shards = await real();
    expect(() => mergeShards(f(shards), o)).toThrow(re);
    try {
      mergeShards(f(shards), o);
    } catch (err) {
      expect((err as { code?: string }).code).toBe('BAD_INPUT');
      expect(String((err as Error).message)).not.toContain('\n');
    }
  };

  it('a missing shard, unless --allow-partial (then its cells are listed and the exit code is 2)', async () => {
    await refuse(
      ([a]) => [a as ShardFile],
      /shard 2\/2 missing: give every shard's results, or --allow-partial/,
    );
    const [a] = await real();
    const run = mergeShards([a as ShardFile], { allowPartial: true });
    expect(run.merged?.missing).toEqual(a?.run.shard?.of.filter((c) => !a.run.shard?.cells.includes(c)));
    expect(run.exitCode).toBe(2);
  });

  it('a shard that did not finish its cells (interrupted)', async () => {
    await refuse(
      ([a, b]) => [a as ShardFile, { ...(b as ShardFile), run: { ...(b as ShardFile).run, results: [] } }],
      /2 cell\(s\) missing \(s5-v3-snapshot-all-members@3\.5\.30, s6-v3-snapshot-bump-revision@3\.5\.30\): a shard did not finish/,
    );
  });

  it('shards of different matrices, labels or splits', async () => {
    await refuse(
      ([a, b]) => [a as ShardFile, withShard(b as ShardFile, { matrix: 'another' })],
      /another matrix/,
    );
    await refuse(
      ([a, b]) => [a as ShardFile, withShard(b as ShardFile, { label: 'pipeline-2' })],
      /run label pipeline-2/,
    );
    await refuse(
      ([a, b]) => [a as ShardFile, withShard(b as ShardFile, { total: 3 })],
      /merge shards of one split/,
    );
  });

  it('the same shard twice, and cells in two shards', async () => {
    await refuse(([a]) => [a as ShardFile, a as ShardFile], /shard 1\/2 given twice/);
    await refuse(
      ([a, b]) => [a as ShardFile, withShard(a as ShardFile, { index: 2 }, 'other.json'), b as ShardFile],
      /cell s5-v3-snapshot-all-members@3\.4\.23 is in both .* and other\.json/,
    );
  });

  it('a results.json that is not a shard, and a folder without results', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'merge-test-'));
    try {
      const [a] = await real();
      const { shard: _, ...plain } = (a as ShardFile).run;
      await writeFile(join(dir, 'results.json'), JSON.stringify(plain));
      await expect(readShards([dir]).then(mergeShards)).rejects.toThrow(
        /is not a shard: merge joins results of matrix --shard/,
      );
      expect(() => resultFiles([join(dir, 'nope')])).toThrow(/does not exist/);
      await rm(join(dir, 'results.json'));
      expect(() => resultFiles([dir])).toThrow(/holds no results\.json/);
      await writeFile(join(dir, 'x.json'), '{"not":"a run"}');
      await expect(readShards([join(dir, 'x.json')])).rejects.toThrow(/is not a results\.json/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the summary of a shard and of a partial merge', () => {
  it('says which shard it is, and names the missing cells with the reason for exit code 2', async () => {
    const { renderSummary } = await import('./render.ts');
    const [a] = (await real()) as [ShardFile];
    expect(renderSummary(a.run)).toContain('Shard 1/2: 2 of 4 cells of the matrix.');
    const partial = renderSummary(mergeShards([a], { allowPartial: true }));
    expect(partial).toContain(
      'Partial merge: 2 cell(s) of the matrix missing: s5-v3-snapshot-all-members@3.5.30, s6-v3-snapshot-bump-revision@3.5.30.',
    );
    expect(partial).toContain('Exit code 2: cells of the matrix are missing.');
  });
});
