import type { Etcd3 } from 'etcd3';
import type { Access } from '../etcd/api.ts';
import { Loop, probeClient, RevisionMark, readTruth } from './common.ts';
import { PROBE_PREFIX, type ProbeKind, type RunningProbe } from './types.ts';

// client-go's defaults (15 s / 10 s / 2 s) scaled down so a drill waits seconds, not minutes.
const LEASE_DURATION_MS = 3000;
const RENEW_DEADLINE_MS = 2000;
const RETRY_PERIOD_MS = 500;

interface LeaseRecord {
  holderIdentity: string;
  leaseDurationSeconds: number;
  acquireTime: number;
  renewTime: number;
  leaseTransitions: number;
}

/**
 * One candidate of client-go's Lease-based leader election (as kube-controller-manager and
 * kube-scheduler run it): read the lock, wait out a foreign holder for a lease duration measured from when
 * *this* candidate last saw the record change, then take or renew it with a compare-and-swap on the
 * key's mod revision.
 */
class Candidate {
  lastRenew = 0;
  observedRaw = '';
  observedAt = 0;
  readonly loop: Loop;

  constructor(
    readonly id: string,
    readonly c: Etcd3,
    readonly key: string,
    readonly rev: RevisionMark,
  ) {
    this.loop = new Loop(RETRY_PERIOD_MS, () => this.tryAcquireOrRenew());
  }

  leads(now = Date.now()): boolean {
    return this.lastRenew > 0 && now - this.lastRenew < RENEW_DEADLINE_MS;
  }

  async tryAcquireOrRenew(): Promise<void> {
    const now = Date.now();
    const got = await this.c.kv.range({ key: Buffer.from(this.key) });
    this.rev.see(got.header);
    const kv = got.kvs[0];
    const raw = kv?.value.toString() ?? '';
    if (raw !== this.observedRaw) {
      this.observedRaw = raw;
      this.observedAt = now;
    }
    const old = raw ? (JSON.parse(raw) as LeaseRecord) : undefined;
    if (old && old.holderIdentity !== this.id && this.observedAt + LEASE_DURATION_MS > now) return;
    const mine = old?.holderIdentity === this.id;
    const record: LeaseRecord = {
      holderIdentity: this.id,
      leaseDurationSeconds: LEASE_DURATION_MS / 1000,
      acquireTime: mine && old ? old.acquireTime : now,
      renewTime: now,
      leaseTransitions: (old?.leaseTransitions ?? 0) + (mine || !old ? 0 : 1),
    };
    const res = await this.c.kv.txn({
      compare: kv
        ? [{ key: kv.key, target: 'Mod', result: 'Equal', mod_revision: kv.mod_revision }]
        : [{ key: Buffer.from(this.key), target: 'Create', result: 'Equal', create_revision: 0 }],
      success: [{ request_put: { key: Buffer.from(this.key), value: Buffer.from(JSON.stringify(record)) } }],
      failure: [],
    });
    this.rev.see(res.header);
    if (res.succeeded) {
      this.lastRenew = now;
      this.observedRaw = JSON.stringify(record);
      this.observedAt = now;
    }
  }
}

export const leaseLock: ProbeKind = {
  name: 'lease-lock',
  standsFor:
    "kube-controller-manager's and kube-scheduler's Lease lock: one holder, renewed by compare-and-swap on the mod revision",
  async start(a: Access, opts): Promise<RunningProbe> {
    const key = `${PROBE_PREFIX}lease-lock/kube-controller-manager`;
    const rev = new RevisionMark();
    const candidates = ['a', 'b'].map(
      (n) => new Candidate(`${opts.instance}-${n}`, probeClient(a), key, rev),
    );
    let splitBrain = 0;
    return {
      revisions: rev,
      async check(truth) {
        const now = Date.now();
        const raw = await readTruth(truth, (c) => c.get(key).string());
        const rec = raw ? (JSON.parse(raw) as LeaseRecord) : undefined;
        const believers = candidates.filter((c) => c.leads(now)).map((c) => c.id);
        const wrong = believers.filter((b) => b !== rec?.holderIdentity);
        if (wrong.length > 0 || believers.length > 1) splitBrain++;
        const renewAgeMs = rec ? now - rec.renewTime : undefined;
        return {
          ok:
            believers.length === 1 &&
            wrong.length === 0 &&
            renewAgeMs !== undefined &&
            renewAgeMs < LEASE_DURATION_MS,
          evidence: {
            holder: rec?.holderIdentity ?? null,
            believers,
            ...(wrong.length ? { believesWhileKeySaysOtherwise: wrong } : {}),
            renewAgeMs: renewAgeMs ?? null,
            transitions: rec?.leaseTransitions ?? 0,
            splitBrainLooks: splitBrain,
          },
        };
      },
      async stop() {
        await Promise.all(candidates.map((c) => c.loop.stop()));
        for (const c of candidates) c.c.close();
      },
    };
  },
};
