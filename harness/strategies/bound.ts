import { setTimeout as sleep } from 'node:timers/promises';
import { HarnessError, Refusal } from '../errors.ts';
import { errorLine } from '../etcd/log-lines.ts';

/** How long a backup command may run before it counts as hung and is killed. */
export const BACKUP_BOUND_MS = 30_000;

/** How long to wait for a killed tool to exit before going on without it (a provider may not kill). */
const KILL_GRACE_MS = 10_000;

/** The quote a hung backup gets in place of etcd's words: `hung after 30 s`. */
export function hungQuote(boundMs: number): string {
  return `hung after ${Number((boundMs / 1000).toFixed(1))} s`;
}

/**
 * etcd's first error line when `err` is the backup tool's own failure (it ran and exited non-zero),
 * else undefined: a tool that did not start, or anything before it, is ours, not etcd's.
 */
export function backupFailureQuote(err: unknown): string | undefined {
  if (!(err instanceof HarnessError) || err.code !== 'ETCDCTL') return undefined;
  const exitCode = err.details?.exitCode;
  if (typeof exitCode !== 'number' || exitCode === 0) return undefined;
  return errorLine(String(err.details?.stderr ?? '')) || err.message;
}

export interface BoundOptions {
  /** @default BACKUP_BOUND_MS */
  readonly boundMs?: number;
  /** The run's signal (Ctrl-C): an interrupt stays an interrupt, never a hang. */
  readonly signal: AbortSignal;
  /** @default KILL_GRACE_MS */
  readonly graceMs?: number;
}

/**
 * Runs one backup command under a bound. The tool gets a signal that fires at the bound (the process
 * is killed) or on Ctrl-C. A non-zero exit throws Refusal 'failed' quoting etcd; the bound, Refusal
 * 'hung'. Any other error is rethrown as it is.
 */
export async function boundedBackup<T>(
  step: string,
  run: (signal: AbortSignal) => Promise<T>,
  opts: BoundOptions,
): Promise<T> {
  const boundMs = opts.boundMs ?? BACKUP_BOUND_MS;
  const bound = new AbortController();
  const timer = setTimeout(() => bound.abort(), boundMs);
  const work = run(AbortSignal.any([opts.signal, bound.signal]));
  const settled = work.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  const hung = new Promise<'hung'>((resolve) =>
    bound.signal.addEventListener('abort', () => resolve('hung'), { once: true }),
  );
  try {
    const first = await Promise.race([settled, hung]);
    if (first !== 'hung') {
      if (first.ok) return first.value;
      if (!bound.signal.aborted || opts.signal.aborted) throw asRefusal(step, first.error);
    }
    if (opts.signal.aborted) throw new HarnessError('ABORTED', `${step} was interrupted`);
    // Let the killed tool exit, so its lock and files are released before the drill goes on.
    await Promise.race([settled, sleep(opts.graceMs ?? KILL_GRACE_MS, undefined, { ref: false })]);
    throw new Refusal('hung', step, hungQuote(boundMs), 'backup');
  } finally {
    clearTimeout(timer);
  }
}

/** The tool's own non-zero exit becomes Refusal 'failed'; anything else stays what it was. */
function asRefusal(step: string, err: unknown): unknown {
  const quote = backupFailureQuote(err);
  return quote === undefined ? err : new Refusal('failed', step, quote, 'backup');
}
