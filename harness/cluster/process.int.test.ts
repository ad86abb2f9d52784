import { rm } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { dumpV2, dumpV3, putAllV2, putAllV3 } from '../etcd/api.ts';
import { resolveEtcd } from '../etcd/dist.ts';
import { silentLogger } from '../log.ts';
import { drillProcesses, testContext } from '../test-support/helpers.ts';
import { processProvider } from './process.ts';
import type { Cluster } from './types.ts';

const spec = { size: 3, token: 'test', enableV2: true };
let cluster: Cluster | undefined;
let workDir: string | undefined;

afterEach(async () => {
  await cluster?.[Symbol.asyncDispose]();
  if (workDir) await rm(workDir, { recursive: true, force: true });
  cluster = undefined;
});

describe.each(['3.3.25', '3.4.23', '3.5.30'])('process provider on etcd %s', (version) => {
  it('starts 3 members with one leader, serves v2 and v3, and stops them all', async () => {
    const dist = await resolveEtcd({ version, log: silentLogger });
    const ctx = await testContext();
    workDir = ctx.workDir;
    cluster = await processProvider.create(spec, dist, ctx, 'c');
    await cluster.start();
    const h = await cluster.health();
    expect(h.up).toBe(true);
    expect(h.leaders).toHaveLength(1);
    expect(h.members.filter((m) => m.healthy)).toHaveLength(3);
    expect(await cluster.memberList()).toHaveLength(3);

    await putAllV3(cluster.access(), [{ key: '/registry/a', value: '1' }]);
    await putAllV2(cluster.access(), [
      { key: '/d', dir: true },
      { key: '/d/k', value: 'v' },
    ]);
    expect((await dumpV3(cluster.access())).keys.get('/registry/a')).toBeDefined();
    expect([...(await dumpV2(cluster.access())).keys()]).toEqual(['/d', '/d/k']);
    expect(drillProcesses(ctx.workDir)).toHaveLength(3);

    await cluster[Symbol.asyncDispose]();
    expect(drillProcesses(ctx.workDir)).toHaveLength(0);
  });
});

describe('process provider member operations', () => {
  it('kill, health, restart and --force-new-cluster behave as etcd does', async () => {
    const dist = await resolveEtcd({ version: '3.4.23', log: silentLogger });
    const ctx = await testContext();
    workDir = ctx.workDir;
    cluster = await processProvider.create(spec, dist, ctx, 'c');
    await cluster.start();
    const [m1, m2, m3] = cluster.members;
    if (!m1 || !m2 || !m3) throw new Error('three members expected');

    await m3.kill();
    expect(m3.running).toBe(false);
    const degraded = await cluster.health();
    expect(degraded.up).toBe(false);
    expect(degraded.members.find((m) => m.name === 'etcd3')?.reason).toBe('not running');
    // Two of three still have quorum (after a new election if etcd3 led).
    expect((await cluster.waitHealthy([m1, m2], 15_000)).up).toBe(true);

    await m3.restart();
    await cluster.waitHealthy(cluster.members);

    // Lose quorum, then bring one member back alone with --force-new-cluster.
    await m2.stop();
    await m3.stop();
    await m1.restart({ state: 'new', forceNewCluster: true });
    await cluster.waitHealthy([m1]);
    expect(await cluster.memberList()).toHaveLength(1);
  });

  it('a member that cannot start reports its log, and waitHealthy times out with reasons', async () => {
    const dist = await resolveEtcd({ version: '3.4.23', log: silentLogger });
    const ctx = await testContext();
    workDir = ctx.workDir;
    cluster = await processProvider.create(spec, dist, ctx, 'c');
    const [m1] = cluster.members;
    if (!m1) throw new Error('member expected');
    // A flag etcd defines, with a value it refuses: etcd itself exits (an undefined flag is refused by the gate first).
    await expect(m1.start({ state: 'new', extraArgs: ['--snapshot-count=not-a-number'] })).rejects.toThrow(
      /etcd1 exited during start/,
    );
    await expect(m1.start({ state: 'new', extraArgs: ['--no-such-flag'] })).rejects.toThrow(
      /etcd 3.4.23 does not define --no-such-flag/,
    );
    await m1.start({ state: 'new' }); // alone, of three: no quorum
    await expect(cluster.waitHealthy([m1], 1500)).rejects.toThrow(
      /etcd1 not healthy with one leader after 1500 ms/,
    );
  });
});
