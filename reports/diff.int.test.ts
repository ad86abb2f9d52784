import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDrill } from '../harness/drill.ts';
import { SCENARIO_DIR } from '../harness/scenario.ts';
import { readRun } from './regrade.ts';

const bin = fileURLToPath(new URL('../bin/etcd-drill.js', import.meta.url));
const tmp = await mkdtemp(join(tmpdir(), 'drill-diff-'));
afterAll(() => rm(tmp, { recursive: true, force: true }));

const SCENARIO = 's5-v3-snapshot-all-members';
const drill = ['run', '-s', SCENARIO, '--provider', 'process', '--no-probes', '-q'];
const folder = async (out: string) => join(out, ...(await readdir(out)));

let baseline: string;
let changed: string;
let version: string;
beforeAll(async () => {
  const a = await runDrill({
    scenarios: [SCENARIO],
    provider: 'process',
    probes: false,
    out: join(tmp, 'a'),
    quiet: true,
  });
  baseline = join(a.reportDir, 'results.json');
  version = a.run.results[0]?.etcd.version ?? '';
  // The same drill graded against a scenario file whose v3 expectation says the opposite: a real changed verdict.
  const dir = join(tmp, 'scenarios');
  await cp(SCENARIO_DIR, dir, { recursive: true });
  const file = join(dir, `${SCENARIO}.json`);
  const s = JSON.parse(await readFile(file, 'utf8'));
  s.expect.v3 = { outcome: 'lost', source: { kind: 'write-up', ref: 'a test that says the opposite' } };
  await writeFile(file, JSON.stringify(s));
  const c = await runDrill({
    scenarios: [SCENARIO],
    provider: 'process',
    probes: false,
    out: join(tmp, 'c'),
    quiet: true,
    scenarioDir: dir,
  });
  changed = join(c.reportDir, 'results.json');
}, 240_000);

describe('report diff of two real runs', () => {
  it('the same scenario twice: exit 0, within the default restore-time threshold', async () => {
    const res = await execa('node', [bin, ...drill, '--out', join(tmp, 'b')], { reject: false });
    expect(res.exitCode).toBe(0);
    const again = join(await folder(join(tmp, 'b')), 'results.json');
    const json = join(tmp, 'same.json');
    const diff = await execa('node', [bin, 'report', 'diff', baseline, again, '--json', json], {
      reject: false,
    });
    expect(diff.stderr).toBe('');
    expect(diff.stdout).toMatch(/^### etcd-drill diff: 0 regressions, 0 improvements, \d+ changes?/);
    expect(diff.exitCode).toBe(0);
    const d = JSON.parse(await readFile(json, 'utf8'));
    expect(d.cells).toEqual({ compared: 1, added: 0, gone: 0 });
    expect(d.counts.regressions).toBe(0);
  });
  it('a changed expectation: exit 1, naming the cell and the check', async () => {
    const out = join(tmp, 'diff.md');
    const res = await execa('node', [bin, 'report', 'diff', baseline, changed, '--out', out], {
      reject: false,
    });
    expect(res.exitCode).toBe(1);
    expect(res.stdout).toContain('### etcd-drill diff: 1 regression,');
    expect(res.stdout).toContain(
      `| ${SCENARIO} @ ${version} (process) | check v3-data | restored: as expected | restored: UNEXPECTED (expected lost) |`,
    );
    expect(await readFile(out, 'utf8')).toBe(`${res.stdout}\n`);
    // The other way round the same change is an improvement.
    const back = await execa('node', [bin, 'report', 'diff', changed, baseline], { reject: false });
    expect(back.stdout).toContain('0 regressions, 1 improvement,');
    expect(back.exitCode).toBe(0);
  });
  it('a file that is not a results.json is bad input: one line, exit 2', async () => {
    const bad = join(tmp, 'bad.json');
    await writeFile(bad, '{"schemaVersion": 3}');
    const res = await execa('node', [bin, 'report', 'diff', baseline, bad], { reject: false });
    expect(res.exitCode).toBe(2);
    expect(res.stdout).toBe('');
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toMatch(/bad\.json is not a results\.json of schema version 3/);
  });
});

describe('run --baseline', () => {
  it('a bad baseline stops the run before anything starts: exit 2, no report folder', async () => {
    const out = join(tmp, 'never');
    const res = await execa('node', [bin, ...drill, '--out', out, '--baseline', join(tmp, 'none.json')], {
      reject: false,
    });
    expect(res.exitCode).toBe(2);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toMatch(/cannot read .*none\.json as JSON/);
    await expect(readdir(out)).rejects.toThrow(/ENOENT/);
  });
  it('a regression against the baseline makes the exit code 1 even with every verdict as expected', async () => {
    // A baseline whose procedure was safe: today's unsafe grade (v2 data loss) is a regression.
    const run = await readRun(baseline);
    for (const r of run.results) r.grade = { grade: 'safe', reasons: [] };
    const safe = join(tmp, 'safe.json');
    await writeFile(safe, JSON.stringify(run));
    const out = join(tmp, 'd');
    const res = await execa('node', [bin, ...drill, '--out', out, '--baseline', safe], { reject: false });
    expect(res.stdout).toContain('Exit code 0: every verdict as expected.');
    expect(res.exitCode).toBe(1);
    const dir = await folder(out);
    const md = await readFile(join(dir, 'diff.md'), 'utf8');
    expect(md).toContain(
      `| ${SCENARIO} @ ${version} (process) | procedure | safe | data loss (v2: 7 of 7 entries) |`,
    );
    expect(res.stdout).toContain(md);
    expect(JSON.parse(await readFile(join(dir, 'diff.json'), 'utf8')).counts.regressions).toBe(1);
    expect((await readRun(join(dir, 'results.json'))).exitCode).toBe(0);
  });
});
