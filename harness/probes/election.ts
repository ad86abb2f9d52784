import type { Campaign, Election, Etcd3 } from 'etcd3';
import type { Access } from '../etcd/api.ts';
import { bounded, Loop, prefixRange, probeClient, RevisionMark, readTruth } from './common.ts';
import { PROBE_PREFIX, type ProbeKind, type RunningProbe } from './types.ts';

const TTL_SECONDS = 5;

/**
 * One candidate of etcd's concurrency Election API (leases plus lowest create revision wins), the
 * second flavour of leader election Kubernetes-adjacent components use. A candidate whose lease is lost
 * stops leading and campaigns again, as a restarted process would.
 */
class Candidate {
  leading = false;
  campaign: Campaign | undefined;
  lastError: string | undefined;
  readonly election: Election;
  readonly loop: Loop;

  constructor(
    readonly id: string,
    readonly c: Etcd3,
    name: string,
  ) {
    this.election = c.namespace(PROBE_PREFIX).election(name, TTL_SECONDS);
    this.loop = new Loop(500, async () => {
      if (this.campaign) return;
      const campaign = this.election.campaign(this.id);
      this.campaign = campaign;
      campaign.on('elected', () => {
        this.leading = true;
      });
      campaign.on('error', (err: Error) => {
        this.leading = false;
        this.lastError = err.message;
        if (this.campaign === campaign) this.campaign = undefined;
      });
    });
  }

  async stop(): Promise<void> {
    await this.loop.stop();
    const c = this.campaign;
    this.campaign = undefined;
    this.leading = false;
    if (c) await bounded(c.resign(), 1000);
    this.c.close();
  }
}

export const election: ProbeKind = {
  name: 'election',
  standsFor: "etcd's concurrency Election API: a leader key bound to a lease, lowest create revision wins",
  async start(a: Access, opts): Promise<RunningProbe> {
    const name = `election-${opts.instance}`;
    // etcd3 keeps an election's keys under election/<name>/ inside the client's namespace.
    const keys = `${PROBE_PREFIX}election/${name}/`;
    const rev = new RevisionMark();
    const candidates = ['a', 'b'].map((n) => new Candidate(`${opts.instance}-${n}`, probeClient(a), name));
    let splitBrain = 0;
    return {
      revisions: rev,
      async check(truth) {
        const leader = await readTruth(truth, async (c) => {
          const res = await c.kv.range({
            ...prefixRange(keys),
            sort_order: 'Ascend',
            sort_target: 'Create',
            limit: 1,
          });
          rev.see(res.header);
          return res.kvs[0]?.value.toString();
        });
        const believers = candidates.filter((c) => c.leading).map((c) => c.id);
        const wrong = believers.filter((b) => b !== leader);
        if (wrong.length > 0 || believers.length > 1) splitBrain++;
        return {
          ok: believers.length === 1 && wrong.length === 0,
          evidence: {
            leader: leader ?? null,
            believers,
            ...(wrong.length ? { believesWhileKeySaysOtherwise: wrong } : {}),
            splitBrainLooks: splitBrain,
            ...Object.fromEntries(
              candidates.filter((c) => c.lastError).map((c) => [`${c.id} error`, c.lastError]),
            ),
          },
        };
      },
      async stop() {
        await Promise.all(candidates.map((c) => c.stop()));
      },
    };
  },
};
