import type { Cluster, Member } from '../cluster/types.ts';
import { clusterOf } from '../engine/context.ts';
import { HarnessError } from '../errors.ts';
import { memberStatus } from '../etcd/api.ts';
import type { EtcdDist } from '../etcd/dist.ts';
import { defineFault } from './kind.ts';

/**
 * etcd's upgrade guides: one member at a time, stop it, start the new binary on the same data dir,
 * wait until the cluster is healthy, then the next. The cluster runs mixed versions meanwhile.
 */
export async function rollingUpgrade(
  cluster: Cluster & Required<Pick<Cluster, 'useDist'>>,
  to: EtcdDist,
): Promise<{ description: string; evidence: Record<string, unknown> }> {
  const from = cluster.dist.version;
  const perMember: { member: string; ms: number; serverVersion: string }[] = [];
  for (const m of cluster.members) perMember.push({ member: m.name, ...(await replace(cluster, m, to)) });
  return {
    description: `members replaced one by one, etcd ${from} → ${to.version}, same data dirs`,
    evidence: { from, to: to.version, perMember },
  };
}

/**
 * One member onto the new binary: how long until the whole cluster was healthy again, and the
 * version the member says it runs (the binary really changed, not only our bookkeeping).
 */
async function replace(cluster: Cluster & Required<Pick<Cluster, 'useDist'>>, m: Member, to: EtcdDist) {
  const t0 = Date.now();
  await m.stop();
  cluster.useDist(to, [m]);
  await m.start({ state: 'existing' });
  await cluster.waitHealthy(cluster.members);
  const ms = Date.now() - t0;
  const serverVersion = (await memberStatus(m.clientUrl, to.version, cluster.pki?.clientTls)).version;
  if (serverVersion !== to.version)
    throw new HarnessError(
      'FAULT_INJECT',
      `${m.name} runs etcd ${serverVersion} after its upgrade to ${to.version}`,
    );
  return { ms, serverVersion };
}

/** Cross-version drills: the running cluster upgraded A → B after the backup, before the disaster. */
export const rollingUpgradeFault = defineFault({
  kind: 'rolling-upgrade',
  summary:
    "members replaced one by one with the restore version's etcd (same data dirs), as etcd's upgrade guides say; needs a version pair",
  params: {},
  defaultAt: { after: 'backup' },
  providers: { process: true, container: 'a container member runs one version’s image' },
  build: () => ({
    supports(d) {
      if (!d.restoreDist)
        return {
          ok: false,
          reason:
            'a rolling upgrade needs a version to upgrade to: run --restore-etcd <B> or matrix --pairs A:B',
        };
      return { ok: true };
    },
    async inject(d) {
      const cluster = clusterOf(d);
      const to = d.restoreDist;
      if (!to || !cluster.useDist) throw new Error('rolling-upgrade without a restore version or useDist');
      return rollingUpgrade(cluster as Cluster & Required<Pick<Cluster, 'useDist'>>, to);
    },
  }),
});
