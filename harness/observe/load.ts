import { setTimeout as sleep } from 'node:timers/promises';
import { type Access, v3Client } from '../etcd/api.ts';

/** Every key the write load makes lives here: `/etcd-drill/load/<phase>/w<writer>/<seq>`. */
export const LOAD_PREFIX = '/etcd-drill/load/';

/** The drill's phases after the disaster: a load there writes to the restored cluster, not to the backup's. */
export const AFTER_DISASTER: readonly string[] = ['restore', 'restored', 'assess'];

export function loadPrefix(phase: string): string {
  return `${LOAD_PREFIX}${phase}/`;
}

/** A key written by a load that ran after the disaster: never part of the backup comparison. */
export function isAfterDisasterLoadKey(key: string): boolean {
  if (!key.startsWith(LOAD_PREFIX)) return false;
  return AFTER_DISASTER.includes(key.slice(LOAD_PREFIX.length).split('/')[0] ?? '');
}

/** One write etcd acknowledged: the revision its response header carried, and when it came back. */
export interface AckedWrite {
  readonly key: string;
  readonly value: string;
  readonly revision: number;
  /** Milliseconds since the epoch when the acknowledgement arrived. */
  readonly ackedAt: number;
}

export interface LoadSpec {
  readonly writers: number;
  /** In total, across the writers. */
  readonly opsPerSec: number;
  readonly prefix: string;
  /** Each put's own deadline: a put a fault leaves hanging counts as an error, not a stuck writer. */
  readonly timeoutMs?: number;
}

export interface LoadLog {
  readonly spec: LoadSpec;
  readonly startedAt: number;
  stoppedAt?: number;
  attempted: number;
  readonly acked: AckedWrite[];
  errors: number;
  /** The first few distinct error messages, with how often each came. */
  readonly errorKinds: Record<string, number>;
}

export interface RunningLoad {
  readonly log: LoadLog;
  /** Stops every writer, waits for puts in flight (bounded by their deadline) and closes the client. Idempotent. */
  stop(): Promise<LoadLog>;
}

const MAX_ERROR_KINDS = 5;

function countError(log: LoadLog, err: unknown): void {
  log.errors++;
  const msg = ((err as Error)?.message ?? String(err)).split('\n')[0]?.slice(0, 160) ?? '';
  if (msg in log.errorKinds || Object.keys(log.errorKinds).length < MAX_ERROR_KINDS)
    log.errorKinds[msg] = (log.errorKinds[msg] ?? 0) + 1;
}

/**
 * N writers putting new keys at R ops/s in total through one etcd3 client (every member's endpoint,
 * so a load placed across a restore reaches members as they come back). A refused or failed write is
 * counted, never thrown: faults may refuse writes. Stops on stop() or when `signal` aborts (Ctrl-C).
 */
export function startWriteLoad(a: Access, spec: LoadSpec, signal: AbortSignal): RunningLoad {
  const client = v3Client(a);
  const halt = new AbortController();
  const log: LoadLog = { spec, startedAt: Date.now(), attempted: 0, acked: [], errors: 0, errorKinds: {} };
  const intervalMs = (1000 * spec.writers) / spec.opsPerSec;
  const timeoutMs = spec.timeoutMs ?? 2000;

  const writer = async (w: number) => {
    let next = Date.now() + (intervalMs * w) / spec.writers; // spread the writers over one interval
    for (let seq = 0; !halt.signal.aborted; seq++) {
      const wait = next - Date.now();
      if (wait > 0) await sleep(wait, undefined, { signal: halt.signal }).catch(() => undefined);
      if (halt.signal.aborted) break;
      // Paced, not bursting: a writer that fell behind (a slow put) does not catch up.
      next = Math.max(next + intervalMs, Date.now());
      const key = `${spec.prefix}w${w}/${String(seq).padStart(6, '0')}`;
      const value = `w${w} #${seq} at ${new Date().toISOString()}`;
      log.attempted++;
      try {
        const res = await client.kv.put(
          { key: Buffer.from(key), value: Buffer.from(value) },
          { deadline: Date.now() + timeoutMs },
        );
        log.acked.push({ key, value, revision: Number(res.header.revision), ackedAt: Date.now() });
      } catch (err) {
        countError(log, err);
      }
    }
  };
  const done = Promise.all(Array.from({ length: spec.writers }, (_, w) => writer(w)));
  let stopped: Promise<LoadLog> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      halt.abort();
      signal.removeEventListener('abort', onAbort);
      await done;
      client.close();
      log.stoppedAt = Date.now();
      return log;
    })();
    return stopped;
  };
  // Ctrl-C: the writers stop and the client closes even if nobody heals the fault.
  const onAbort = () => void stop();
  if (signal.aborted) void stop();
  else signal.addEventListener('abort', onAbort, { once: true });
  return { log, stop };
}
