import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { diffRuns } from '../reports/diff.ts';
import { matrixHtml } from '../reports/html.ts';
import { renderJunit } from '../reports/junit.ts';
import { readRun, regradeResult } from '../reports/regrade.ts';
import { renderMatrix, renderSummary } from '../reports/render.ts';
import type { DrillContext } from './engine/context.ts';
import { pairSupport } from './engine/run.ts';
import { HarnessError } from './errors.ts';
import type { EtcdDist } from './etcd/dist.ts';
import { expectationSchema, findExpectation } from './expectations.ts';
import { rollingUpgradeFault } from './faults/rolling-upgrade.ts';
import { parsePair, parsePairs, versionKey, versionLabel } from './pairs.ts';
import type { RunResult, ScenarioResult } from './result.ts';
import { loadScenarios } from './scenario.ts';
import { resultCell } from './shard.ts';
import { STRATEGIES } from './strategies/index.ts';
import type { Strategy } from './strategies/types.ts';

const bad = (fn: () => unknown): HarnessError => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(HarnessError);
    expect((err as HarnessError).code).toBe('BAD_INPUT');
    expect((err as Error).message).not.toContain('\n');
    return err as HarnessError;
  }
  throw new Error('expected bad input');
};

describe('version pairs on the command line', () => {
  it('reads A:B and a comma-separated list of them', () => {
    expect(parsePair('3.4.23:3.5.16', '--pairs')).toEqual({ backup: '3.4.23', restore: '3.5.16' });
    expect(parsePairs('3.3.25:3.4.23, 3.5.16:3.5.30')).toEqual([
      { backup: '3.3.25', restore: '3.4.23' },
      { backup: '3.5.16', restore: '3.5.30' },
    ]);
  });

  it.each([
    ['3.4.23', /not a version pair: write A:B/],
    ['3.4.23:3.5.16:3.5.30', /not a version pair/],
    [':3.5.16', /not a version pair/],
    ['3.4.23-3.5.16', /not a version pair/],
  ])('a malformed pair %s is one line naming the shape', (text, message) => {
    expect(bad(() => parsePairs(text)).message).toMatch(message);
  });

  it('an unknown version names itself, the flag and the versions there are', () => {
    const m = bad(() => parsePairs('3.4.23:3.6.0')).message;
    expect(m).toMatch(/^--pairs: unknown etcd version "3\.6\.0": use one of 3\.3\.25, 3\.4\.23/);
    // GitHub may have releases the Debian table lacks; a non-version stays bad.
    expect(parsePair('3.4.23:3.6.0', '--pairs', 'github').restore).toBe('3.6.0');
    expect(bad(() => parsePair('3.4.23:latest', '--restore-etcd', 'github')).message).toMatch(
      /^--restore-etcd: unknown etcd version "latest"/,
    );
  });

  it('refuses one version twice, a pair given twice and an empty list', () => {
    expect(bad(() => parsePairs('3.5.30:3.5.30')).message).toMatch(/names one version twice/);
    expect(bad(() => parsePairs('3.4.23:3.5.16,3.4.23:3.5.16')).message).toMatch(/given twice/);
    expect(bad(() => parsePairs(' , ')).message).toMatch(/no pair given/);
  });
});

describe('expectations of a pair', () => {
  const spec = expectationSchema(['restored', 'lost'] as const).parse({
    outcome: 'restored',
    source: { kind: 'etcd-docs', ref: 'op-guide/recovery' },
    byVersion: {
      '3.5': { outcome: 'lost', source: { kind: 'etcd-docs', ref: 'a 3.5 note' } },
      '3.4.23:3.5.16': {
        outcome: 'lost',
        source: {
          kind: 'observed',
          runs: ['a', 'b', 'c'],
          agreeing: 3,
          of: 3,
          provider: 'process',
          date: '2026-12-01',
        },
      },
    },
  });

  it('a pair key is a byVersion key; a malformed one is refused', () => {
    const parse = (k: string) =>
      expectationSchema(['restored'] as const).safeParse({
        byVersion: { [k]: { outcome: 'restored', source: { kind: 'default', ref: 'x' } } },
      }).success;
    expect(parse('3.4.23:3.5.16')).toBe(true);
    expect(parse('3.4:3.5')).toBe(false);
    expect(parse('3.4.23>3.5.16')).toBe(false);
  });

  it("a pair takes its own record, never its versions' minor override", () => {
    expect(findExpectation(spec, '3.4.23:3.5.16')?.source.kind).toBe('observed');
    // 3.5.16:3.5.30 has nothing of its own: the base, not the 3.5 override of either version.
    expect(findExpectation(spec, '3.5.16:3.5.30')).toMatchObject({ outcome: 'restored' });
    expect(findExpectation(spec, '3.5.16')).toMatchObject({ outcome: 'lost' });
  });
});

// A real cross-version run: s5 backed up on 3.4.23, restored by 3.5.16 and by 3.5.30 (process, --no-probes).
const FIXTURE = fileURLToPath(new URL('../reports/fixtures/pairs-s5.results.json', import.meta.url));
let run: RunResult;
beforeAll(async () => {
  run = await readRun(FIXTURE);
});

describe('reports keep cells apart that differ only by the restore version', () => {
  it('results carry the pair, and the cell key is A:B', () => {
    expect(run.results.map(versionKey)).toEqual(['3.4.23:3.5.16', '3.4.23:3.5.30']);
    expect(run.results.map(resultCell)).toEqual([
      's5-v3-snapshot-all-members@3.4.23:3.5.16',
      's5-v3-snapshot-all-members@3.4.23:3.5.30',
    ]);
    expect(versionLabel('3.4.23:3.5.16')).toBe('3.4.23 → 3.5.16');
  });

  it('the Markdown matrix has a column per pair', () => {
    const [head, , row] = renderMatrix(run.results);
    expect(head).toBe('| scenario (strategy) | 3.4.23 → 3.5.16 | 3.4.23 → 3.5.30 |');
    expect(row?.split(' | ')).toHaveLength(3);
    const summary = renderSummary(run);
    expect(summary).toContain('## Version matrix');
    expect(summary).toContain('## s5-v3-snapshot-all-members on etcd 3.4.23 → 3.5.30');
  });

  it('a single pair still gets its matrix (the pair is the dimension)', () => {
    expect(renderSummary({ ...run, results: run.results.slice(0, 1) })).toContain('| 3.4.23 → 3.5.16 |');
  });

  it('HTML, JUnit and diff see two cells, not one', () => {
    expect(matrixHtml(run.results)).toContain('<th>etcd 3.4.23 → 3.5.30</th>');
    const junit = renderJunit(run);
    expect(junit).toContain('s5-v3-snapshot-all-members@3.4.23:3.5.16');
    expect(junit).toContain('s5-v3-snapshot-all-members@3.4.23:3.5.30');
    expect(junit).toContain('name="restoreEtcd.version" value="3.5.30"');
    // A diff of the run with itself compares both cells (a shared key would throw on the duplicate).
    expect(diffRuns(run, run).cells.compared).toBe(2);
  });
});

describe('what a pair drill asks of each version', () => {
  const a = { version: '3.4.23' } as EtcdDist;
  const b = { version: '3.5.16' } as EtcdDist;
  const strategy = (over: Partial<Strategy>): Strategy =>
    ({
      supports: async (d: EtcdDist) =>
        d.version === '3.4.23' ? { ok: false, reason: 'no etcdutl' } : { ok: true },
      ...over,
    }) as Strategy;

  it('without its own gates, the whole procedure must run on both versions', async () => {
    expect(await pairSupport(strategy({}), a, b)).toEqual({
      ok: false,
      reason: 'backup with etcd 3.4.23: no etcdutl',
    });
    expect(await pairSupport(strategy({}), b, a)).toEqual({
      ok: false,
      reason: 'restore with etcd 3.4.23: no etcdutl',
    });
  });

  it('the backup steps are asked of A and the restore steps of B', async () => {
    const s = strategy({ supportsBackup: async () => ({ ok: true }) });
    expect(await pairSupport(s, a, b)).toEqual({ ok: true });
    expect((await pairSupport(s, b, a)).ok).toBe(false);
    // One version: the strategy's own gate, as before.
    expect((await pairSupport(s, a, undefined)).ok).toBe(false);
  });

  it('a rolling upgrade is not applicable without a version to upgrade to', () => {
    const fault = rollingUpgradeFault.build({ at: { after: 'backup' } });
    const d = (restoreDist?: EtcdDist) => ({ restoreDist }) as unknown as DrillContext;
    expect(fault.supports?.(d())).toMatchObject({ ok: false, reason: /needs a version to upgrade to/ });
    expect(fault.supports?.(d(b))).toEqual({ ok: true });
  });
});

describe('regrading a pair', () => {
  it("judges the cell by the pair's record, not by the backup version's", async () => {
    const [s5] = await loadScenarios([...STRATEGIES.keys()], undefined).then((all) =>
      all.filter((s) => s.id === 's5-v3-snapshot-all-members'),
    );
    if (!s5) throw new Error('no s5 scenario');
    const src = { kind: 'etcd-docs' as const, ref: 'test' };
    const scenario = {
      ...s5,
      expect: {
        ...s5.expect,
        memberIds: {
          byVersion: {
            '3.4.23': { outcome: 'both changed' as const, source: src },
            '3.4.23:3.5.16': { outcome: 'kept' as const, source: src },
          },
        },
      },
    };
    const verdicts = run.results.map(
      (r) => regradeResult(r, scenario).checks.find((c) => c.id === 'member-ids')?.verdict,
    );
    // 3.4.23:3.5.30 has no record of its own: the 3.4.23 one does not stand in for it (judged against it, the
    // cell would be as-expected or unexpected).
    expect(verdicts).toEqual(['as-expected', 'unrecorded']);
    const other = regradeResult(run.results[1] as ScenarioResult, scenario).checks.find(
      (c) => c.id === 'member-ids',
    );
    expect(other?.expected).toBe('not recorded');
  });
});
