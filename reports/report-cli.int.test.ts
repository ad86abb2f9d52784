import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDrill } from '../harness/drill.ts';
import type { RunResult } from '../harness/result.ts';
import { SCENARIO_DIR } from '../harness/scenario.ts';
import { readRun, regradeRun } from './regrade.ts';

const bin = fileURLToPath(new URL('../bin/etcd-drill.js', import.meta.url));
const tmp = await mkdtemp(join(tmpdir(), 'drill-report-'));
afterAll(() => rm(tmp, { recursive: true, force: true }));

let run: RunResult;
let summary: string;
let copied: string;
beforeAll(async () => {
  // A real run's results.json, copied away from its report folder: the reports come from the file alone.
  const r = await runDrill({
    scenarios: ['s1-v3-snapshot-restore'],
    provider: 'process',
    probes: false,
    out: join(tmp, 'out'),
    quiet: true,
  });
  run = r.run;
  summary = r.summary;
  copied = join(tmp, 'elsewhere', 'results.json');
  await mkdir(join(tmp, 'elsewhere'));
  await cp(join(r.reportDir, 'results.json'), copied);
}, 180_000);

describe('report render and regrade from a results.json alone', () => {
  it('render writes the same summary the run printed, beside the copied file', async () => {
    const res = await execa('node', [bin, 'report', 'render', copied], { reject: false });
    expect(res.exitCode).toBe(0);
    expect(res.stdout).toBe(summary.trimEnd());
    expect(await readFile(join(tmp, 'elsewhere', 'summary.md'), 'utf8')).toBe(summary);
  });
  it("regrade against today's scenario files changes nothing and exits as the run did", async () => {
    const res = await execa('node', [bin, 'report', 'regrade', copied], { reject: false });
    expect(res.stdout).toContain("No verdict changed against today's scenario files.");
    expect(res.exitCode).toBe(run.exitCode);
  });
  it('regrade against a changed expectation changes exactly that verdict', async () => {
    const dir = join(tmp, 'scenarios');
    await cp(SCENARIO_DIR, dir, { recursive: true });
    const file = join(dir, 's1-v3-snapshot-restore.json');
    const s = JSON.parse(await readFile(file, 'utf8'));
    s.expect.v3 = { outcome: 'lost', source: { kind: 'write-up', ref: 'a test that says the opposite' } };
    await writeFile(file, JSON.stringify(s));
    const { run: again, changes } = await regradeRun(await readRun(copied), dir);
    expect(changes).toEqual([
      `s1-v3-snapshot-restore@${run.results[0]?.etcd.version} v3-data: as-expected → unexpected`,
    ]);
    expect(again.results[0]?.verdict).toBe('unexpected');
    expect(again.exitCode).toBe(1);
  });
  it('a file that is not a results.json is bad input: one line, exit 2', async () => {
    const bad = join(tmp, 'bad.json');
    await writeFile(bad, '{"schemaVersion": 2}');
    const res = await execa('node', [bin, 'report', 'regrade', bad], { reject: false });
    expect(res.exitCode).toBe(2);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toMatch(/is not a results\.json of schema version 3/);
  });
});
