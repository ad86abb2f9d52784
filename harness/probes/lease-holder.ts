import type { Lease } from 'etcd3';
import type { Access } from '../etcd/api.ts';
import { bounded, prefixRange, probeClient, RevisionMark, readTruth } from './common.ts';
import { PROBE_PREFIX, type ProbeKind, type RunningProbe } from './types.ts';

// Longer than a drill's disaster, so an outage alone does not expire it: what is measured is the restore.
const TTL_SECONDS = 60;
const KEYS = 3;

/**
 * A client holding a lease with keepalive and keys attached to it, as the apiserver does for events and
 * its endpoint lease. After a restore: is the lease still known, still kept alive, its keys still there?
 */
export const leaseHolder: ProbeKind = {
  name: 'lease-holder',
  standsFor:
    "the apiserver's lease-backed keys (events, the endpoint lease): a lease kept alive with keys attached",
  async start(a: Access, opts): Promise<RunningProbe> {
    const c = probeClient(a);
    const rev = new RevisionMark();
    const prefix = `${PROBE_PREFIX}lease-holder/${opts.instance}/`;
    let lost: string | undefined;
    let lease: Lease;
    let id: string;
    try {
      lease = c.lease(TTL_SECONDS, { autoKeepAlive: true });
      id = await lease.grant();
      for (let i = 0; i < KEYS; i++) await lease.put(`${prefix}key-${i}`).value(`held by ${opts.instance}`);
    } catch (err) {
      c.close();
      throw err;
    }
    lease.on('lost', (err: Error) => {
      lost = err.message;
    });
    return {
      revisions: rev,
      async check(truth) {
        // The holder's own keepalive, now, on its own client: does the restored cluster know this lease?
        const ka = await lease.keepaliveOnce().then(
          (r) => {
            rev.see(r.header);
            return Number(r.TTL);
          },
          (err: Error) => err.message,
        );
        const kvs = await readTruth(truth, async (t) => (await t.kv.range(prefixRange(prefix))).kvs);
        const attached = kvs.filter((kv) => kv.lease === id).length;
        return {
          ok: lost === undefined && attached === KEYS && typeof ka === 'number' && ka > 0,
          evidence: {
            leaseId: id,
            ...(lost ? { lost } : {}),
            keysAttached: `${attached}/${KEYS}`,
            keepalive: typeof ka === 'number' ? (ka > 0 ? `ttl ${ka}s` : 'lease not found') : ka,
          },
        };
      },
      async stop() {
        await bounded(lease.revoke(), 1000);
        c.close();
      },
    };
  },
};
