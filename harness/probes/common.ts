import { setTimeout as sleep } from 'node:timers/promises';
import type { Etcd3 } from 'etcd3';
import { HarnessError, oneLine } from '../errors.ts';
import { type Access, v3Client, withV3 } from '../etcd/api.ts';

/** The key range [prefix, prefix+1) in etcd's terms. */
export function prefixRange(prefix: string): { key: Buffer; range_end: Buffer } {
  const key = Buffer.from(prefix);
  const end = Buffer.from(key);
  end[end.length - 1] = (end[end.length - 1] ?? 0) + 1;
  return { key, range_end: end };
}

/**
 * A probe's client. Unlike the harness's own reads, probes keep their clients across the disaster, as a
 * component does; gRPC reconnects by itself.
 */
export function probeClient(a: Access): Etcd3 {
  return v3Client(a);
}

/**
 * Reads etcd's truth for a probe's check. A failed read is the harness's failure, not the probe's
 * disagreement: it throws, and the look counts as no answer.
 */
export async function readTruth<T>(a: Access, fn: (c: Etcd3) => Promise<T>): Promise<T> {
  try {
    return await withV3(a, fn);
  } catch (err) {
    throw new HarnessError('CLUSTER_UNHEALTHY', `could not read etcd to compare: ${oneLine(err)}`, {
      cause: err,
    });
  }
}

/**
 * Waits for `p` at most `ms`. Stopping a probe must not hang on a call to a cluster without quorum:
 * the clients are closed afterwards anyway, which cancels what is still pending.
 */
export async function bounded(p: Promise<unknown>, ms: number): Promise<void> {
  await Promise.race([p.catch(() => undefined), sleep(ms, undefined, { ref: false })]);
}

/** Runs `tick` every `everyMs` until stopped; a failing tick is what a component sees during an outage. */
export class Loop {
  #stopped = false;
  #done: Promise<void>;
  lastError: string | undefined;

  constructor(everyMs: number, tick: () => Promise<void>) {
    this.#done = (async () => {
      while (!this.#stopped) {
        try {
          await tick();
          this.lastError = undefined;
        } catch (err) {
          this.lastError = err instanceof Error ? err.message : String(err);
        }
        if (!this.#stopped) await sleep(everyMs);
      }
    })();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await bounded(this.#done, 2000);
  }
}

/** Tracks the revisions in response headers: the highest before a mark, the lowest after it. */
export class RevisionMark {
  max = 0;
  maxAtMark = 0;
  /** Lowest revision seen since mark(): below maxAtMark means the client saw time go backwards. */
  minAfterMark: number | undefined;
  #marked = false;

  see(header: { revision: string | number } | undefined): number {
    const r = Number(header?.revision ?? 0);
    if (r > this.max) this.max = r;
    if (this.#marked && r > 0 && (this.minAfterMark === undefined || r < this.minAfterMark))
      this.minAfterMark = r;
    return r;
  }

  mark(): void {
    this.#marked = true;
    this.maxAtMark = this.max;
    this.minAfterMark = undefined;
  }
}
