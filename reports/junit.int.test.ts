import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { validateJunit } from '../harness/test-support/junit-xsd.ts';

const bin = fileURLToPath(new URL('../bin/etcd-drill.js', import.meta.url));
const tmp = await mkdtemp(join(tmpdir(), 'drill-junit-'));
afterAll(() => rm(tmp, { recursive: true, force: true }));

describe('--reporter json,md,junit on a real run', () => {
  it('writes results.json, summary.md and a junit.xml that validates against the JUnit XSD', async () => {
    const out = join(tmp, 'out');
    const res = await execa(
      'node',
      [bin, 'run', '-s', 's5-v3-snapshot-all-members', '--provider', 'process', '--no-probes', '-q'].concat([
        '--reporter',
        'json,md,junit',
        '--out',
        out,
      ]),
      { reject: false },
    );
    const [runId] = readdirSync(out);
    const dir = join(out, runId ?? '');
    const run = JSON.parse(await readFile(join(dir, 'results.json'), 'utf8'));
    expect(res.exitCode, res.stderr).toBe(run.exitCode);
    expect(
      readdirSync(dir)
        .filter((f) => !f.startsWith('s5'))
        .sort(),
    ).toEqual(['harness.log', 'junit.xml', 'results.json', 'summary.md']);
    const xml = await readFile(join(dir, 'junit.xml'), 'utf8');
    expect(await validateJunit(xml)).toEqual({ valid: true, errors: [] });
    expect(xml).toContain('<testsuite name="s5-v3-snapshot-all-members@');
    expect(res.stdout).toContain('and summary.md, junit.xml');
    // Rendered again later from results.json alone: the same file.
    const again = join(tmp, 'again');
    const render = await execa(
      'node',
      [bin, 'report', 'render', join(dir, 'results.json')].concat(['--reporter', 'junit', '--out', again]),
      { reject: false },
    );
    expect(render.exitCode, render.stderr).toBe(0);
    expect(await readFile(join(again, 'junit.xml'), 'utf8')).toBe(xml);
  });

  it('an unknown reporter is bad input: exit 2 naming the valid ones, before anything runs', async () => {
    const out = join(tmp, 'bad');
    const res = await execa('node', [bin, 'run', '--reporter', 'md,pdf', '--out', out], { reject: false });
    expect(res.exitCode).toBe(2);
    expect(res.stderr).toMatch(/unknown reporter pdf: use json, md, junit/);
    expect(existsSync(out)).toBe(false);
  });
});
