import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { dumpV2, dumpV3, putAllV2, putAllV3 } from '../etcd/api.ts';
import { resolveEtcd } from '../etcd/dist.ts';
import { silentLogger } from '../log.ts';
import { labelled, needDocker, testContext } from '../test-support/helpers.ts';
import { containerProvider } from './container.ts';
import { checkImage, ensureImage } from './image.ts';
import type { Cluster } from './types.ts';

let cluster: Cluster | undefined;
let workDir: string | undefined;
afterEach(async () => {
  await cluster?.[Symbol.asyncDispose]();
  if (workDir) await rm(workDir, { recursive: true, force: true });
  cluster = undefined;
});

describe.each(['3.4.23', '3.5.30'])('container provider on etcd %s', (version) => {
  it('runs 3 members that find each other by name, publishes clients on 127.0.0.1, and removes everything', async ({
    skip,
  }) => {
    needDocker(skip);
    const dist = await resolveEtcd({ version, log: silentLogger });
    const ctx = await testContext();
    workDir = ctx.workDir;
    cluster = await containerProvider().create({ size: 3, token: 't', enableV2: true }, dist, ctx, 'c');
    await cluster.start();
    expect((await cluster.health()).up).toBe(true);
    const list = await cluster.memberList();
    expect(list.map((m) => m.peerUrls[0]).sort()).toEqual([
      'http://etcd1:2380',
      'http://etcd2:2380',
      'http://etcd3:2380',
    ]);
    expect(cluster.endpoints().every((e) => e.startsWith('http://127.0.0.1:'))).toBe(true);

    await putAllV3(cluster.access(), [{ key: '/registry/x', value: 'y' }]);
    await putAllV2(cluster.access(), [{ key: '/k', value: 'v' }]);
    expect((await dumpV3(cluster.access())).keys.has('/registry/x')).toBe(true);
    expect((await dumpV2(cluster.access())).has('/k')).toBe(true);
    // etcdctl runs inside a member, as the write-up ran it, and reaches the others by name.
    const out = await cluster.etcdctl(['endpoint', 'health']);
    expect(`${out.stdout}${out.stderr}`).toMatch(/etcd3:2379 is healthy/);

    // Files in and out of a member's own filesystem (outside the shared bind mount).
    const [m1] = cluster.members;
    const src = join(ctx.workDir, 'in.txt');
    await writeFile(src, 'backup artifact');
    await m1?.copyIn(src, '/tmp/artifact.txt');
    await m1?.copyOut('/tmp/artifact.txt', join(ctx.workDir, 'out', 'artifact.txt'));
    expect(await readFile(join(ctx.workDir, 'out', 'artifact.txt'), 'utf8')).toBe('backup artifact');

    const before = await labelled(ctx.runId);
    expect(before.containers).toHaveLength(3);
    expect(before.networks).toHaveLength(1);
    await cluster[Symbol.asyncDispose]();
    expect(await labelled(ctx.runId)).toEqual({ containers: [], networks: [] });
  });
});

describe('container member operations', () => {
  it('pause, kill, restart and --force-new-cluster act on the member as they do on processes', async ({
    skip,
  }) => {
    needDocker(skip);
    const dist = await resolveEtcd({ version: '3.4.23', log: silentLogger });
    const ctx = await testContext();
    workDir = ctx.workDir;
    cluster = await containerProvider().create({ size: 3, token: 't', enableV2: true }, dist, ctx, 'c');
    await cluster.start();
    const [m1, m2, m3] = cluster.members;
    if (!m1 || !m2 || !m3) throw new Error('three members expected');

    await m3.pause();
    expect(m3.running).toBe(false);
    expect((await cluster.waitHealthy([m1, m2], 15_000)).up).toBe(true);
    await m3.resume();
    await cluster.waitHealthy(cluster.members);

    await m3.kill();
    expect((await labelled(ctx.runId)).containers).toHaveLength(2);
    await m3.start({ state: 'existing' });
    await cluster.waitHealthy(cluster.members);

    await m2.stop();
    await m3.stop();
    await m1.restart({ state: 'new', forceNewCluster: true });
    await cluster.waitHealthy([m1]);
    expect(await cluster.memberList()).toHaveLength(1);
  });
});

describe('images', () => {
  it('are built once per version from the cached binaries, and their version is checked', async ({
    skip,
  }) => {
    needDocker(skip);
    const d34 = await resolveEtcd({ version: '3.4.23', log: silentLogger });
    const tag = await ensureImage(d34, silentLogger);
    expect(tag).toBe('etcd-drill/etcd:3.4.23');
    const id = (await execa('docker', ['image', 'inspect', '-f', '{{.Id}}', tag])).stdout;
    await ensureImage(d34, silentLogger);
    expect((await execa('docker', ['image', 'inspect', '-f', '{{.Id}}', tag])).stdout).toBe(id);
    await expect(checkImage(tag, '3.4.23')).resolves.toBeUndefined();
    await expect(checkImage(tag, '3.5.30')).rejects.toThrow(
      /holds etcd 3\.4\.23, but etcd 3\.5\.30 was asked for/,
    );
  });

  it('an image without etcd is refused with a clear message', async ({ skip }) => {
    needDocker(skip);
    const empty = await mkdtemp(join(tmpdir(), 'not-etcd-'));
    const tag = 'etcd-drill/not-etcd:test';
    try {
      await execa('bash', ['-c', `tar -C ${empty} -c . | docker import - ${tag}`]);
      await expect(checkImage(tag, '3.4.23')).rejects.toThrow(
        /--image etcd-drill\/not-etcd:test could not run "etcd --version"/,
      );
    } finally {
      await execa('docker', ['rmi', '-f', tag], { reject: false });
      await rm(empty, { recursive: true, force: true });
    }
  });
});
