import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../result.ts';
import { drillProcesses } from '../test-support/helpers.ts';

const RUNBOOKS = fileURLToPath(new URL('../../runbooks/', import.meta.url));
const bin = fileURLToPath(new URL('../../bin/etcd-drill.js', import.meta.url));
const out = await mkdtemp(join(tmpdir(), 'drill-runbook-matrix-'));
afterAll(() => rm(out, { recursive: true, force: true }));

describe('etcd-drill matrix --runbook', () => {
  it('drills the runbook on every listed version like a strategy; a version runbook.yaml does not target is not applicable', async () => {
    // etcd's official recovery, narrowed to 3.5 by its runbook.yaml.
    const rb = join(out, 'official-3.5');
    await cp(join(RUNBOOKS, 'etcd-official'), rb, { recursive: true });
    await writeFile(join(rb, 'runbook.yaml'), "restores: [v3]\netcd: ['3.5']\n");
    const res = await execa(
      'node',
      [
        bin,
        'matrix',
        '--runbook',
        rb,
        '--etcd',
        '3.5.30,3.4.23',
        '--provider',
        'process',
        '--no-probes',
        '--out',
        out,
      ],
      { reject: false, all: true },
    );
    const [dir] = await readdir(out).then((ds) => ds.filter((d) => d !== 'official-3.5'));
    const run = JSON.parse(await readFile(join(out, dir ?? '', 'results.json'), 'utf8')) as RunResult;
    // The runbook's default bar: safe. Without probes nothing is safe: unknown, exit 2.
    expect(run.require).toBe('safe');
    expect(res.exitCode).toBe(2);
    const cell = (v: string) => run.results.find((r) => r.etcd.version === v);
    expect(run.results.map((r) => r.strategy)).toEqual(['runbook:official-3.5', 'runbook:official-3.5']);
    expect(cell('3.4.23')?.verdict).toBe('not-applicable');
    expect(cell('3.4.23')?.notApplicable).toMatch(/targets etcd 3\.5 \(runbook\.yaml\), not 3\.4\.23/);
    const on35 = Object.fromEntries(cell('3.5.30')?.checks.map((c) => [c.id, c.observed]) ?? []);
    expect(on35).toMatchObject({
      backup: 'completed',
      restore: 'completed',
      'v3-data': 'restored',
      membership: 'healthy',
    });
    expect(cell('3.5.30')?.grade).toEqual({
      grade: 'unknown',
      reasons: ['components not checked (--no-probes)'],
    });
    expect(res.stdout).toContain('## Version matrix');
    expect(drillProcesses()).toEqual([]);
  });
});
