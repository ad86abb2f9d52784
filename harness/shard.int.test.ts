import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { readRun } from '../reports/regrade.ts';
import type { RunResult, ScenarioResult } from './result.ts';
import { resultCell } from './shard.ts';
import { workRoot } from './workdir.ts';

const bin = fileURLToPath(new URL('../bin/etcd-drill.js', import.meta.url));
const tmp = await mkdtemp(join(tmpdir(), 'drill-shard-'));
afterAll(() => rm(tmp, { recursive: true, force: true }));

const MATRIX = [
  'matrix',
  '-s',
  's5-v3-snapshot-all-members',
  's6-v3-snapshot-bump-revision',
  '--etcd',
  '3.5.30,3.4.23',
  '--provider',
  'process',
  '--no-probes',
  '--quiet',
];

const cli = (args: readonly string[]) => execa('node', [bin, ...args], { reject: false });

/** A run folder's results.json: the CLI writes <out>/<run-id>/. */
async function runIn(out: string): Promise<RunResult> {
  const [id] = readdirSync(out);
  return readRun(join(out, id ?? '', 'results.json'));
}

/** What must agree between the merged shards and the unsharded run: ids, outcomes, verdicts, grades. */
const cells = (run: RunResult) =>
  run.results.map((r: ScenarioResult) => ({
    cell: resultCell(r),
    verdict: r.verdict,
    grade: r.grade.grade,
    checks: r.checks.map((c) => `${c.id}: ${c.observed} (${c.verdict})`),
  }));

describe('matrix --shard, report merge and --parallel on real etcd', () => {
  it('shards 1/2 and 2/2 merged give the same cells as one run with --parallel 2', {
    timeout: 170_000,
  }, async () => {
    const a = await cli([...MATRIX, '--shard', '1/2', '--out', join(tmp, 'a')]);
    const b = await cli([...MATRIX, '--shard', '2/2', '--out', join(tmp, 'b')]);
    expect(a.exitCode, a.stderr).toBe(0);
    expect(b.exitCode, b.stderr).toBe(0);
    const [ra, rb] = [await runIn(join(tmp, 'a')), await runIn(join(tmp, 'b'))];
    expect(ra.shard?.index).toBe(1);
    expect(rb.shard?.index).toBe(2);
    expect(ra.results.length + rb.results.length).toBe(4);

    const merged = await cli(['report', 'merge', join(tmp, 'a'), join(tmp, 'b'), '--out', join(tmp, 'm')]);
    expect(merged.exitCode, merged.stderr).toBe(0);
    expect(merged.stdout).toContain('## Version matrix');
    const rMerged = await readRun(join(tmp, 'm', 'results.json'));
    expect(existsSync(join(tmp, 'm', 'summary.md'))).toBe(true);

    const p = await cli([...MATRIX, '--parallel', '2', '--out', join(tmp, 'p')]);
    expect(p.exitCode, p.stderr).toBe(0);
    const rp = await runIn(join(tmp, 'p'));
    expect(cells(rMerged)).toEqual(cells(rp));
    expect(rMerged.exitCode).toBe(rp.exitCode);
    expect(rp.results.map(resultCell)).toEqual([
      's5-v3-snapshot-all-members@3.5.30',
      's5-v3-snapshot-all-members@3.4.23',
      's6-v3-snapshot-bump-revision@3.5.30',
      's6-v3-snapshot-bump-revision@3.4.23',
    ]);
    // The parallel run did run drills at once: the first two overlapped in time.
    const span = (r: ScenarioResult) => [Date.parse(r.startedAt), Date.parse(r.startedAt) + r.durationMs];
    const [[s1, e1], [s2, e2]] = rp.results.slice(0, 2).map(span) as [number[], number[]];
    expect(Math.max(s1 ?? 0, s2 ?? 0)).toBeLessThan(Math.min(e1 ?? 0, e2 ?? 0));
    // Nothing of any of the runs is left.
    for (const r of [ra, rb, rp]) expect(existsSync(join(workRoot(), r.runId))).toBe(false);
  });

  it('a malformed --shard is bad input before anything starts', async () => {
    for (const bad of ['0/3', '4/3', 'x']) {
      const r = await cli([...MATRIX, '--shard', bad, '--out', join(tmp, 'bad')]);
      expect(r.exitCode, bad).toBe(2);
      expect(r.stderr).toContain('--shard must be i/n with 1 <= i <= n');
      expect(existsSync(join(tmp, 'bad'))).toBe(false);
    }
  });
});
