import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadRunbook, parseRunbookYaml, targets } from './config.ts';

describe('runbook.yaml', () => {
  it('reads title, restores and etcd; every field is optional', () => {
    expect(parseRunbookYaml('title: S1\nrestores: [v3]\netcd: ["3.5", 3.4.23]\n', 'r.yaml')).toEqual({
      title: 'S1',
      restores: ['v3'],
      etcd: ['3.5', '3.4.23'],
    });
    expect(parseRunbookYaml('', 'r.yaml')).toEqual({});
  });
  it('refuses in one line naming the file and the field', () => {
    expect(() => parseRunbookYaml('restores: [v4]\n', 'r.yaml')).toThrow(/^r.yaml: restores.0: /);
    expect(() => parseRunbookYaml('restores: [v3, v3]\n', 'r.yaml')).toThrow(/each API once/);
    expect(() => parseRunbookYaml('etcd: [latest]\n', 'r.yaml')).toThrow(/a version like 3.5.30/);
    expect(() => parseRunbookYaml('titel: x\n', 'r.yaml')).toThrow(/Unrecognized key/);
    expect(() => parseRunbookYaml('title: [unclosed\n', 'r.yaml')).toThrow(/r.yaml is not YAML/);
  });
});

describe('a runbook folder', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'runbook-test-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const script = async (name: string, mode = 0o755) => {
    await writeFile(join(dir, name), '#!/bin/sh\n');
    await chmod(join(dir, name), mode);
  };

  it('needs backup.sh and restore.sh, executable', async () => {
    expect(() => loadRunbook(join(dir, 'nope'))).toThrow(/is not a folder/);
    expect(() => loadRunbook(dir)).toThrow(/has no backup.sh/);
    await script('backup.sh');
    await script('restore.sh', 0o644);
    expect(() => loadRunbook(dir)).toThrow(/restore.sh is not executable: chmod \+x/);
    await script('restore.sh');
    expect(loadRunbook(dir)).toEqual({ dir, title: dir.split('/').pop() });
  });
  it('takes its claim and versions from runbook.yaml', async () => {
    await mkdir(dir, { recursive: true });
    await script('backup.sh');
    await script('restore.sh');
    await writeFile(join(dir, 'runbook.yaml'), 'title: ours\nrestores: [v3]\netcd: ["3.5"]\n');
    const rb = loadRunbook(dir);
    expect(rb).toMatchObject({ title: 'ours', restores: ['v3'], etcd: ['3.5'] });
    expect(targets(rb, '3.5.30')).toBe(true);
    expect(targets(rb, '3.4.23')).toBe(false);
    expect(targets({ dir, title: 't' }, '3.3.25')).toBe(true);
  });
});
