import { rm } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { memberStatus, putAllV3, withV3 } from '../etcd/api.ts';
import { resolveEtcd } from '../etcd/dist.ts';
import { silentLogger } from '../log.ts';
import { drillProcesses, testContext } from '../test-support/helpers.ts';
import { poll } from '../util/poll.ts';
import { portOpen } from './base.ts';
import { netLeftovers } from './netns.ts';
import { processProvider } from './process.ts';
import type { Cluster, Member } from './types.ts';

let cluster: Cluster | undefined;
let workDir: string | undefined;

afterEach(async () => {
  await cluster?.[Symbol.asyncDispose]();
  if (workDir) await rm(workDir, { recursive: true, force: true });
  cluster = undefined;
});

async function leaderOf(c: Cluster): Promise<Member> {
  const h = await c.waitHealthy(c.members);
  const id = h.leaders[0];
  const m = c.members.find((x) => h.members.find((s) => s.name === x.name)?.memberId === id);
  if (!m) throw new Error(`no member has the leader id ${id}`);
  return m;
}

/**
 * Median put latency through `via` over n sequential puts. Through the leader a put commits once a
 * follower acked it, so this is the peer round trip as etcd's commit path sees it. (etcd's own
 * peer_round_trip_time metric is sampled only every 30 s: too slow for a test.)
 */
async function putLatencyMs(c: Cluster, via: Member, n: number): Promise<number[]> {
  const out: number[] = [];
  await withV3(c.access([via]), async (client) => {
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      await client.put(`/lat/${i}`).value('x');
      out.push(performance.now() - t);
    }
  });
  return out.sort((a, b) => a - b);
}

describe.each(['3.5.30', '3.3.25'])('peer network faults on etcd %s (process provider, netns)', (version) => {
  it('isolating the leader moves leadership, keeps its client port, heals; delay raises peer RTT; nothing left', async () => {
    const dist = await resolveEtcd({ version, log: silentLogger });
    const ctx = await testContext();
    workDir = ctx.workDir;
    cluster = await processProvider.create(
      { size: 3, token: 'pn', enableV2: true, network: 'netns' },
      dist,
      ctx,
      'pn',
    );
    const left = await netLeftovers(ctx.runId);
    expect([left.netns.length, left.links.length, left.rules.length]).toEqual([3, 4, 1]);
    await cluster.start();
    const net = cluster.peerNetwork;
    if (!net) throw new Error('a netns cluster has a peer network');
    expect(cluster.members.every((m) => !m.clientUrl.includes('127.0.0.1'))).toBe(true);

    // Partition: the leader alone against the other two.
    const old = await leaderOf(cluster);
    const oldId = (await memberStatus(old.clientUrl, version)).memberId;
    const others = cluster.members.filter((m) => m !== old);
    const heal = await net.isolate(old, others);
    const moved = await poll(() => cluster?.health(others) ?? Promise.reject(new Error('gone')), {
      boundMs: 30_000,
      intervalMs: 250,
      what: 'a new leader among the majority',
      done: (h) => h.up && h.leaders[0] !== oldId,
    });
    expect(moved.done).toBe(true);
    const cut = await poll(() => cluster?.health([old]) ?? Promise.reject(new Error('gone')), {
      boundMs: 30_000,
      intervalMs: 250,
      what: 'the isolated member unhealthy',
      done: (h) => !h.members[0]?.healthy,
    });
    expect(cut.done).toBe(true);
    // Its client port still answers the harness; etcdctl (on this host) reaches the majority.
    expect(await portOpen(old.clientUrl)).toBe(true);
    const isolated = await memberStatus(old.clientUrl, version);
    expect(isolated.leaderId).not.toBe(oldId);
    await putAllV3(cluster.access(others), [{ key: '/pn/during', value: 'majority' }]);
    expect(
      (
        await cluster.etcdctl(['get', '/pn/during', '--print-value-only'], { endpoints: others })
      ).stdout.trim(),
    ).toBe('majority');

    await heal();
    const healed = await cluster.waitHealthy(cluster.members, 60_000);
    expect(healed.leaders).toHaveLength(1);
    const got = await withV3(cluster.access([old]), (c) => c.get('/pn/during').string());
    expect(got).toBe('majority');

    // Delay: the leader's peer links slowed 100 ms each way (200 ms a round trip).
    const leader = await leaderOf(cluster);
    const before = await putLatencyMs(cluster, leader, 20);
    const undelay = await net.delay(leader, 100);
    const during = await putLatencyMs(cluster, leader, 20);
    await undelay();
    console.log(
      `etcd ${version}: leader change ${old.name} -> ${(await leaderOf(cluster)).name}; put median ${before[10]?.toFixed(1)} ms -> ${during[10]?.toFixed(1)} ms`,
    );
    expect(during[10]).toBeGreaterThan(150);
    expect(before[10]).toBeLessThan(150);
    expect((await cluster.waitHealthy(cluster.members)).up).toBe(true);

    await cluster[Symbol.asyncDispose]();
    cluster = undefined;
    expect(await netLeftovers(ctx.runId)).toEqual({ netns: [], links: [], rules: [] });
    expect(drillProcesses(ctx.workDir)).toHaveLength(0);
  }, 180_000);
});
