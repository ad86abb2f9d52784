import { z } from 'zod';
import type { Cluster } from '../cluster/types.ts';
import { clusterOf, type DrillContext } from '../engine/context.ts';
import { HarnessError, serializeError } from '../errors.ts';
import { withV3 } from '../etcd/api.ts';
import { PROBE_PREFIX } from '../probes/types.ts';
import type { RestoredQuota } from '../result.ts';
import { poll } from '../util/poll.ts';
import { defineFault, flagsReachMembers } from './kind.ts';

const QUOTA = '--quota-backend-bytes';
const FILL_PREFIX = '/etcd-drill/fill/';
const FILL_VALUE_BYTES = 100_000;
/** etcd's words for a write over the quota. */
export const NO_SPACE = /database space exceeded/;

const withoutQuota = (flags: readonly string[]) => flags.filter((f) => !f.startsWith(QUOTA));
const quotaFlags = (flags: readonly string[], bytes: number | undefined) => [
  ...withoutQuota(flags),
  ...(bytes === undefined ? [] : [`${QUOTA}=${bytes}`]),
];

/** Raised alarms, as "NOSPACE on <member id>" (the integrity check's wording). */
export async function alarmsOf(cluster: Cluster): Promise<string[]> {
  return withV3(cluster.access(), async (c) => {
    const res = await c.maintenance.alarm({ action: 'Get', memberID: 0, alarm: 'None' });
    return res.alarms.map((a) => `${a.alarm} on ${a.memberID}`);
  });
}

/**
 * Restarts the members one at a time, each with the cluster's flags, each time waiting for one
 * leader that every member names (not /health: a raised alarm makes it false, and 3.3 says no more).
 */
async function rollingRestart(d: DrillContext, cluster: Cluster): Promise<void> {
  for (const m of cluster.members.filter((x) => x.running)) {
    await m.restart();
    const r = await poll(() => cluster.health(), {
      boundMs: 60_000,
      intervalMs: 300,
      signal: d.run.signal,
      what: `waiting for ${m.name} to rejoin`,
      done: (h) =>
        h.leaders.length === 1 && h.members.every((x) => !x.running || (!!x.leaderId && x.leaderId !== '0')),
    });
    if (!r.done) throw new HarnessError('CLUSTER_UNHEALTHY', `${m.name} did not rejoin within 60 s`);
  }
}

/** etcdctl alarm disarm: every raised alarm deactivated by its own member ID. */
async function disarmAll(cluster: Cluster): Promise<void> {
  await withV3(cluster.access(), async (c) => {
    const res = await c.maintenance.alarm({ action: 'Get', memberID: 0, alarm: 'None' });
    for (const a of res.alarms)
      await c.maintenance.alarm({ action: 'Deactivate', memberID: a.memberID, alarm: a.alarm });
  });
}

/** Writes 100 KB values until etcd refuses with "database space exceeded"; bounded by the quota. */
export async function fillUntilRefused(
  cluster: Cluster,
  quotaBytes: number,
): Promise<{ writes: number; bytes: number; refusal: string }> {
  const most = Math.ceil(quotaBytes / FILL_VALUE_BYTES) * 2 + 20;
  const value = 'x'.repeat(FILL_VALUE_BYTES);
  return withV3(cluster.access(), async (c) => {
    for (let i = 0; i < most; i++) {
      try {
        await c.put(`${FILL_PREFIX}${String(i).padStart(6, '0')}`).value(value);
      } catch (err) {
        const msg = (err as Error).message;
        if (!NO_SPACE.test(msg)) throw err;
        return { writes: i, bytes: i * FILL_VALUE_BYTES, refusal: msg };
      }
    }
    throw new HarnessError(
      'FAULT_INJECT',
      `${most} writes of ${FILL_VALUE_BYTES} bytes were all accepted under a quota of ${quotaBytes} bytes`,
    );
  });
}

/**
 * Puts the cluster under a backend quota (a rolling restart) and writes until etcd raises NOSPACE.
 * The heal is etcd's documented way out that changes no data: lift the quota, restart, disarm.
 */
export const nospace = defineFault({
  kind: 'nospace',
  summary: 'restart the members with --quota-backend-bytes and write until etcd raises NOSPACE',
  // At most 3 MB: the harness reads the keyspace in pages of 1000 keys, and a page over gRPC's
  // 4 MiB default answers RESOURCE_EXHAUSTED (seen with a 4 MB quota).
  params: { quotaBytes: z.number().int().positive().max(3_000_000).default(2_000_000) },
  defaultAt: { after: 'seed' },
  providers: { process: true, container: true },
  build: (spec) => ({
    supports: (d) => flagsReachMembers(d, 'nospace restarts members with --quota-backend-bytes'),
    async inject(d) {
      const cluster = clusterOf(d);
      const before = cluster.flags();
      cluster.setFlags(quotaFlags(before, spec.quotaBytes));
      await rollingRestart(d, cluster);
      const fill = await fillUntilRefused(cluster, spec.quotaBytes);
      const alarms = await alarmsOf(cluster);
      if (!alarms.some((a) => /nospace/i.test(a)))
        throw new HarnessError(
          'FAULT_INJECT',
          `writes refused (${fill.refusal}) but no NOSPACE alarm listed`,
        );
      return {
        description: `quota ${spec.quotaBytes} bytes, filled until NOSPACE`,
        evidence: { quotaBytes: spec.quotaBytes, ...fill, alarms },
        async heal() {
          cluster.setFlags(before);
          await rollingRestart(d, cluster);
          await disarmAll(cluster);
        },
      };
    },
  }),
});

/** One write (under the probes' prefix, which the data checks leave out) and the alarms of the restored cluster, whatever state the restore left it in. */
async function lookAtRestored(cluster: Cluster, quotaBytes: number | undefined): Promise<RestoredQuota> {
  const base = quotaBytes === undefined ? {} : { quotaBytes };
  const running = cluster.members.filter((m) => m.running).length;
  if (running === 0) return { ...base, running, alarms: [], write: 'not tried' };
  const alarms = await alarmsOf(cluster);
  const refused = await withV3(cluster.access(), (c) =>
    c
      .put(`${PROBE_PREFIX}quota`)
      .value('x')
      .then(
        () => undefined,
        (err: Error) => {
          if (!NO_SPACE.test(err.message)) throw err;
          return err.message;
        },
      ),
  );
  return refused
    ? { ...base, running, alarms, write: 'refused', quote: refused }
    : { ...base, running, alarms, write: 'accepted' };
}

/**
 * The restored members' quota (quotaBytes; absent: etcd's default). Placed before the restore, it
 * looks at the restored cluster when the restore phase ends, whether it completed or not: its
 * alarms, and whether it takes a write.
 */
export const restoreQuota = defineFault({
  kind: 'restore-quota',
  summary:
    "restore into members with this --quota-backend-bytes (or etcd's default), then try a write and list alarms",
  params: { quotaBytes: z.number().int().positive().optional() },
  defaultAt: { after: 'disaster' },
  providers: { process: true, container: true },
  build: (spec) => ({
    supports: (d) => flagsReachMembers(d, 'restore-quota sets --quota-backend-bytes'),
    async inject(d: DrillContext) {
      const cluster = clusterOf(d);
      cluster.setFlags(quotaFlags(cluster.flags(), spec.quotaBytes));
      const q = spec.quotaBytes === undefined ? "etcd's default quota" : `${QUOTA}=${spec.quotaBytes}`;
      return {
        description: `restored members start with ${q}`,
        evidence: { flags: [...cluster.flags()] },
        async heal() {
          try {
            d.obs.restoredQuota = await d.rec.step('restored cluster: alarms and one write', () =>
              lookAtRestored(cluster, spec.quotaBytes),
            );
          } catch (err) {
            if (d.run.signal.aborted) throw err;
            d.obs.errors = { ...d.obs.errors, restoredQuota: serializeError(err) };
          }
        },
      };
    },
  }),
});
