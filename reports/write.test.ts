import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunResult } from '../harness/result.ts';
import { defaultReporters, parseReporters, writeReport } from './write.ts';

const run: RunResult = {
  schemaVersion: 3,
  runId: '20261130-000000-abcd',
  tool: { name: 'etcd-drill', version: '0.1.0' },
  startedAt: '2026-11-30T00:00:00.000Z',
  finishedAt: '2026-11-30T00:00:01.000Z',
  require: 'expected',
  exitCode: 0,
  results: [],
};
let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('writeReport', () => {
  it('writes results.json before any reporter, and a reporter that throws loses neither it nor the others', async () => {
    dir = await mkdtemp(join(tmpdir(), 'write-'));
    const broken = {
      name: 'broken',
      file: 'broken.txt',
      render: () => {
        throw new Error('renderer bug');
      },
    };
    const { failures, summary } = await writeReport(run, dir, [broken, 'md']);
    expect(failures).toEqual([{ reporter: 'broken', error: 'renderer bug' }]);
    expect(JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'))).toEqual(run);
    expect(readFileSync(join(dir, 'summary.md'), 'utf8')).toBe(summary);
    expect(existsSync(join(dir, 'broken.txt'))).toBe(false);
  });
  it('an unknown reporter name is reported, not thrown', async () => {
    dir = await mkdtemp(join(tmpdir(), 'write-'));
    const { failures } = await writeReport(run, dir, ['pdf']);
    expect(failures[0]?.error).toMatch(/unknown reporter: use json, md, junit/);
  });
});

describe('reporter names', () => {
  it('takes a comma list; json is a name (results.json, always written); an unknown name names the valid ones', () => {
    expect(parseReporters('json, md,junit')).toEqual(['json', 'md', 'junit']);
    expect(() => parseReporters('md,pdf')).toThrow(/^unknown reporter pdf: use json, md, junit/);
    expect(() => parseReporters(',')).toThrow(/use json, md, junit/);
  });
  it('defaults to json,md, and adds junit in CI', () => {
    expect(defaultReporters({})).toEqual(['json', 'md']);
    expect(defaultReporters({ CI: 'true' })).toEqual(['json', 'md', 'junit', 'html']);
  });
  it('json renders nothing of its own: results.json is written once, first', async () => {
    dir = await mkdtemp(join(tmpdir(), 'write-'));
    const { failures } = await writeReport(run, dir, ['json', 'junit'], { json: false });
    expect(failures).toEqual([]);
    expect(existsSync(join(dir, 'results.json'))).toBe(false);
    expect(readFileSync(join(dir, 'junit.xml'), 'utf8')).toMatch(/^<\?xml/);
  });
});
