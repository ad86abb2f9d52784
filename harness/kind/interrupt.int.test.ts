/**
 * Ctrl-C on kind (issue 14): pressed while `kind create cluster` is half done, the run still removes
 * the nodes, the network and its folder, and exits 130. ~2 min on 2 cores (`npm run test:kind`).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { docker, runFolders, waitForProgress } from '../test-support/helpers.ts';
import { KIND_CLUSTER_PREFIX } from './cluster.ts';

const bin = fileURLToPath(new URL('../../bin/etcd-drill.js', import.meta.url));
const out = await mkdtemp(join(tmpdir(), 'kind-interrupt-'));
afterAll(() => rm(out, { recursive: true, force: true }));

/** What kind and Docker hold of ours: node containers, networks, clusters' names. */
async function ours(): Promise<string[]> {
  const containers = await execa('docker', [
    'ps',
    '-a',
    '--filter',
    'label=io.x-k8s.kind.cluster',
    '--format',
    '{{.Names}}',
  ]);
  const nets = await execa('docker', ['network', 'ls', '--format', '{{.Name}}']);
  return [...containers.stdout.split('\n'), ...nets.stdout.split('\n')].filter((n) =>
    n.startsWith(KIND_CLUSTER_PREFIX),
  );
}

describe('kind: Ctrl-C', () => {
  it('during kind create cluster: exit 130, no node container, network or run folder left', async () => {
    if (!docker) throw new Error('kind needs a Docker engine and none answers: as root, bash ci/docker.sh');
    const before = { folders: runFolders(), ours: await ours() };
    const child = execa(
      'node',
      [
        bin,
        'run',
        '--provider',
        'kind',
        '--etcd',
        '3.5.30',
        '--scenario',
        's1-v3-snapshot-restore',
        '--out',
        out,
      ],
      { reject: false, all: true, forceKillAfterDelay: false, env: { CI: 'true' } },
    );
    await waitForProgress(child, /kind create cluster \S+: 3 control-plane nodes/, 600_000);
    // Half way: the node containers exist, kubeadm is still at work in them.
    await new Promise((r) => setTimeout(r, 40_000));
    expect((await ours()).length, 'the nodes exist when Ctrl-C comes').toBeGreaterThan(before.ours.length);
    child.kill('SIGINT');
    const res = await child;
    expect(res.exitCode, res.all).toBe(130);
    expect(await ours()).toEqual(before.ours);
    expect(runFolders()).toEqual(before.folders);
  });
});
