import { describe, expect, it } from 'vitest';
import type { RunResult, ScenarioResult } from '../harness/result.ts';
import { renderSummary } from './render.ts';
import { RunResultSchema } from './schema.ts';

const result = (over: Partial<ScenarioResult> = {}): ScenarioResult => ({
  scenarioId: 's1-v3-snapshot-restore',
  title: 'S1',
  strategy: 'v3-snapshot-force-new-cluster',
  provider: 'process',
  etcd: { version: '3.4.23', origin: 'debian bookworm 3.4.23-4+b4' },
  clusterSize: 3,
  tls: false,
  verdict: 'unexpected',
  startedAt: '2026-11-24T02:00:00.000Z',
  durationMs: 9900,
  steps: [{ title: 'restore', startMs: 800, durationMs: 8600, ok: true }],
  counts: { backup: { v2: 7, v3: 270 }, restored: { v2: 0, v3: 269 } },
  revisions: { backup: 4, restored: 5 },
  membership: {},
  notes: {},
  checks: [
    {
      id: 'v3-data',
      title: 'v3 keys',
      expected: 'restored',
      observed: 'partial',
      verdict: 'unexpected',
      source: 'write-up | step 3',
      details: {
        missing: 1,
        extra: 0,
        changed: 0,
        firstMissing: ['/registry/pods/default/x'],
        firstExtra: [],
        firstChanged: [],
      },
    },
    {
      id: 'membership',
      title: 'membership',
      expected: 'healthy',
      observed: 'healthy',
      verdict: 'as-expected',
      source: 's',
      details: { members: 3, healthy: 3 },
    },
  ],
  ...over,
});

const run = (results: ScenarioResult[], exitCode = 1): RunResult => ({
  schemaVersion: 1,
  runId: '20261124-020000-abcd',
  tool: { name: 'etcd-drill', version: '0.1.0' },
  startedAt: '2026-11-24T02:00:00.000Z',
  finishedAt: '2026-11-24T02:00:10.000Z',
  exitCode,
  results,
});

describe('summary.md', () => {
  it('has one table row per scenario with counts, membership and verdict', () => {
    const md = renderSummary(run([result()]));
    const row = md.split('\n').find((l) => l.startsWith('| s1-v3-snapshot-restore'));
    expect(row).toBe(
      '| s1-v3-snapshot-restore | 3.4.23 | process | 270 → 269 | 7 → 0 | healthy (3/3) | UNEXPECTED | 9.9s |',
    );
  });
  it('names the missing keys and escapes pipes in table cells', () => {
    const md = renderSummary(run([result()]));
    expect(md).toContain('- v3-data: 1 missing: `/registry/pods/default/x`');
    expect(md).toContain('write-up \\| step 3');
  });
  it('spells out a harness error with its cause chain', () => {
    const md = renderSummary(
      run(
        [
          result({
            verdict: 'unknown',
            checks: [],
            error: { code: 'PROVIDER_START', message: 'start failed', cause: { message: 'port in use' } },
          }),
        ],
        2,
      ),
    );
    expect(md).toContain('Harness error (PROVIDER_START): start failed ← port in use');
    expect(md).toContain('Exit code 2: a harness error left a verdict unknown.');
  });
});

describe('results.json schema', () => {
  it('accepts a well-formed run and refuses a wrong verdict', () => {
    expect(RunResultSchema.safeParse(run([result()])).success).toBe(true);
    const bad = run([{ ...result(), verdict: 'pass' as never }]);
    expect(RunResultSchema.safeParse(bad).success).toBe(false);
  });
});

describe('version matrix', () => {
  it('has a row per scenario and a column per version, flagging cells that differ from expectation', () => {
    const on = (version: string, over: Partial<ScenarioResult> = {}) =>
      result({ etcd: { version, origin: 'x' }, ...over });
    const md = renderSummary(
      run([
        on('3.4.23', { verdict: 'as-expected' }),
        on('3.5.30'),
        on('3.3.25', { verdict: 'not-applicable', notApplicable: 'no etcdutl', checks: [] }),
      ]),
    );
    expect(md).toContain('| scenario (strategy) | 3.3.25 | 3.4.23 | 3.5.30 |');
    const row = md
      .split('\n')
      .find((l) => l.startsWith('| s1-v3-snapshot-restore (v3-snapshot-force-new-cluster)'));
    expect(row).toBe(
      '| s1-v3-snapshot-restore (v3-snapshot-force-new-cluster) | n/a: no etcdutl | v2 ? · v3 partial · healthy · 9.9s | v2 ? · v3 partial · healthy · 9.9s ⚠ differs from expectation |',
    );
  });
});
