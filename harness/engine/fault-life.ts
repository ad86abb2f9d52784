import { setTimeout as sleep } from 'node:timers/promises';
import type { HealthReport } from '../cluster/types.ts';
import type { FaultRecord } from '../result.ts';
import { poll } from '../util/poll.ts';
import type { DrillContext } from './context.ts';
import { type ActiveFault, type Fault, placementText } from './fault.ts';

const SAMPLE_MS = 1000;
/** After a heal, how long a cluster that was up before the fault may take to be up again. */
const SETTLE_MS = 15_000;

/** "etcd1 leader, etcd2 up, etcd3 down": what the cluster said, in one line. */
export function healthLine(h: HealthReport): string {
  const leader = h.leaders.length === 1 ? h.leaders[0] : undefined;
  const members = h.members.map((m) => {
    if (!m.running) return `${m.name} ${m.reason === 'paused' ? 'paused' : 'down'}`;
    if (!m.healthy) return `${m.name} unhealthy`;
    return `${m.name} ${m.memberId === leader ? 'leader' : 'up'}`;
  });
  return h.leaders.length > 1 ? `${members.join(', ')} (${h.leaders.length} leaders)` : members.join(', ');
}

async function look(d: DrillContext): Promise<HealthReport | undefined> {
  try {
    return await d.cluster?.health();
  } catch {
    return undefined;
  }
}

/**
 * One fault's life in a drill, as etcd's robustness suite brackets its failpoints: the cluster's
 * health before, the injection (after an optional delay), what the cluster said while it was
 * active, the heal (after forMs, or when stopped), and the health after.
 */
export class FaultLife {
  readonly #cancel = new AbortController();
  readonly #life: Promise<void>;
  #error: unknown;
  #active: ActiveFault | undefined;
  #record: FaultRecord | undefined;
  #healed = false;
  #wasUp = false;
  /** Settles once the fault is injected, or its injection failed or was called off. */
  readonly injected: Promise<void>;

  constructor(
    readonly d: DrillContext,
    readonly f: Fault,
  ) {
    let injected = () => {};
    this.injected = new Promise((r) => {
      injected = r;
    });
    this.#life = this.#run(injected).catch((err) => {
      this.#error = err;
      injected();
    });
  }

  async #run(injected: () => void): Promise<void> {
    const signal = AbortSignal.any([this.d.run.signal, this.#cancel.signal]);
    if (this.f.delayMs && !(await wait(this.f.delayMs, signal))) return injected();
    // Between phases nothing will start a fault's target meanwhile: an `after` fault does not wait for one.
    await this.#inject('after' in this.f.at ? AbortSignal.abort() : signal);
    injected();
    const sampling = this.#sample(signal);
    if (this.f.forMs && (await wait(this.f.forMs, signal))) await this.#heal();
    await sampling;
  }

  async #inject(phaseEnded: AbortSignal): Promise<void> {
    const { d, f } = this;
    const before = await look(d);
    this.#wasUp = before?.up ?? false;
    const injectedAtMs = Date.now() - d.t0;
    const active = await d.rec.step(`fault ${f.name} (${placementText(f.at)})`, () =>
      f.inject(d, phaseEnded),
    );
    this.#active = active;
    this.#record = {
      fault: f.name,
      at: placementText(f.at),
      description: active.description,
      injectedAtMs,
      healthBefore: before ? healthLine(before) : 'no answer',
      timeline: [],
      ...(active.evidence ? { evidence: { ...active.evidence } } : {}),
    };
    d.faults.push(this.#record);
  }

  /** Each change in what the cluster says, until the heal. */
  async #sample(signal: AbortSignal): Promise<void> {
    let last = '';
    while (!this.#healed && !signal.aborted) {
      const h = await look(this.d);
      const line = h ? healthLine(h) : 'no answer';
      if (line !== last && !this.#healed)
        this.#record?.timeline?.push({ atMs: Date.now() - this.d.t0, health: line });
      last = line;
      await wait(SAMPLE_MS, signal);
    }
  }

  async #heal(): Promise<void> {
    if (this.#healed || !this.#active) return;
    this.#healed = true;
    const a = this.#active;
    if (a.heal) await this.d.rec.step(`heal: ${a.description}`, a.heal.bind(a));
    const rec = this.#record;
    if (!rec) return;
    rec.healedAtMs = Date.now() - this.d.t0;
    rec.healthAfter = await this.#settled();
  }

  /**
   * The health after the heal: a cluster that was up before a fault that heals gets a while to be up
   * again (damage with no heal, such as the disaster, is left as it is).
   */
  async #settled(): Promise<string> {
    if (!this.#wasUp || !this.#active?.heal || !this.d.cluster)
      return (await look(this.d).then((h) => h && healthLine(h))) ?? 'no answer';
    const r = await poll(() => look(this.d), {
      boundMs: SETTLE_MS,
      intervalMs: 500,
      signal: this.d.run.signal,
      what: 'waiting for the cluster after a fault',
      done: (h) => h?.up ?? false,
    });
    const line = r.last ? healthLine(r.last) : 'no answer';
    return r.done
      ? `${line} (up ${r.ms} ms after the heal)`
      : `${line} (not up ${SETTLE_MS} ms after the heal)`;
  }

  /** Calls off a pending injection, heals an active fault once; throws the injection's or heal's error. */
  async stop(): Promise<void> {
    this.#cancel.abort();
    await this.#life;
    let healError: unknown;
    await this.#heal().catch((err: unknown) => {
      healError = err;
    });
    const err = this.#error ?? healError;
    this.#error = undefined;
    if (err !== undefined) throw err;
  }

  /** The injection's error, if it failed (the phase then fails as well). */
  get failed(): unknown {
    return this.#error;
  }
}

/** Sleeps, or returns false as soon as the signal aborts. */
async function wait(ms: number, signal: AbortSignal): Promise<boolean> {
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}
