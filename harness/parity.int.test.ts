import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runDrill } from './drill.ts';
import type { ScenarioResult } from './result.ts';
import { labelled, needDocker } from './test-support/helpers.ts';

const out = await mkdtemp(join(tmpdir(), 'drill-parity-'));
afterAll(() => rm(out, { recursive: true, force: true }));

/** What must not depend on where members run: verdicts, counts and each check's observation. */
function essence(r: ScenarioResult | undefined) {
  return {
    verdict: r?.verdict,
    counts: [
      r?.observations.backupPoint?.v3.count,
      r?.observations.restored?.members.map((m) => m.v3.keys.count),
    ],
    checks: r?.checks.map((c) => [c.id, c.expected, c.observed, c.verdict]),
    members: r?.observations.restored?.membership.members.map((m) => m.name),
    error: r?.error?.message,
  };
}

// Each version and each TLS mode once (all four pairs were 6.6 min of CI, 2026-12-02; CI neared its
// limit). Every scenario on containers is `npm run matrix:containers`.
describe.each([
  ['3.4.23', false],
  ['3.5.30', true],
])('S1 on etcd %s (tls: %s): process and container providers agree', (version, tls) => {
  it('gives the same verdicts and counts', async ({ skip }) => {
    needDocker(skip);
    const common = { scenarios: ['s1-v3-snapshot-restore'], etcd: version, tls, out, quiet: true };
    const proc = await runDrill({ ...common, provider: 'process' });
    const cont = await runDrill({ ...common, provider: 'container' });
    expect(cont.run.results[0]?.provider).toBe('container');
    expect(essence(cont.run.results[0])).toEqual(essence(proc.run.results[0]));
    expect(essence(proc.run.results[0])).toMatchObject({
      verdict: 'as-expected',
      counts: [270, [270, 270, 270]],
    });
    expect(proc.run.results[0]?.observations.restored?.members.map((m) => m.v2.keys.count)).toEqual([
      0, 0, 0,
    ]);
    expect(await labelled()).toEqual({ containers: [], networks: [] });
  });
});
