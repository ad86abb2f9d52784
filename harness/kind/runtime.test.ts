import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { parseRunningContainers, RUNNING_CONTAINERS } from './runtime.ts';

const info = (kind: string, labels: Record<string, string> = {}) =>
  JSON.stringify({ ID: 'abc', Labels: { 'io.cri-containerd.kind': kind, ...labels }, Spec: { x: 1 } });
const podLabels = {
  'io.kubernetes.pod.name': 'web-1',
  'io.kubernetes.pod.namespace': 'drill-a',
  'io.kubernetes.pod.uid': 'u1',
  'io.kubernetes.container.name': 'app',
};

describe('parseRunningContainers', () => {
  it("keeps kubelet's containers with their pod, not sandboxes, other lines or unlabelled containers", () => {
    const out = [
      info('container', podLabels),
      info('sandbox', podLabels),
      info('container'),
      '',
      'ctr: container "x" in namespace "k8s.io": not found',
    ].join('\n');
    expect(parseRunningContainers('n1', out)).toEqual([
      { node: 'n1', namespace: 'drill-a', pod: 'web-1', uid: 'u1', container: 'app' },
    ]);
  });
});

describe('RUNNING_CONTAINERS (with a stand-in ctr)', () => {
  let dir = '';
  afterEach(() => rm(dir, { recursive: true, force: true }));
  const run = async (ctr: string) => {
    dir = await mkdtemp(join(tmpdir(), 'runtime-'));
    await writeFile(join(dir, 'ctr'), `#!/bin/sh\n${ctr}\n`);
    await chmod(join(dir, 'ctr'), 0o755);
    return execa('sh', ['-c', RUNNING_CONTAINERS], {
      reject: false,
      env: { PATH: `${dir}:${process.env.PATH}` },
    });
  };
  it('prints one record per running task, on one line each', async () => {
    const r = await run(`case "$3" in
  tasks) printf 'TASK PID STATUS\\nt1 10 RUNNING\\nt2 11 STOPPED\\n' ;;
  containers) printf '{\\n  "ID": "%s"\\n}\\n' "$5" ;;
esac`);
    expect(r.exitCode).toBe(0);
    expect(r.stdout.split('\n')).toEqual(['{  "ID": "t1"}']);
  });
  it('fails when the task list cannot be read, rather than printing nothing (read as: nothing runs)', async () => {
    const r = await run(`echo 'ctr: failed to dial "/run/containerd/containerd.sock"' >&2; exit 1`);
    expect(r.exitCode).not.toBe(0);
    expect(r.stdout).toBe('');
  });
});
