import { setTimeout as sleep } from 'node:timers/promises';
import { HarnessError } from '../errors.ts';

/**
 * The harness's one wait loop. Every bound and every pause listens to the run's abort signal, so
 * Ctrl-C ends a wait at once (HarnessError 'ABORTED', which the CLI maps to exit 130).
 */
export interface PollOptions<T> {
  /** Looks go on until done or until this much time has passed since the first look. */
  readonly boundMs: number;
  /** Pause between looks; the last pause is cut to what is left of the bound. Default 250. */
  readonly intervalMs?: number;
  readonly signal?: AbortSignal;
  /** What is being waited for, for the abort message ("interrupted while <what>"). */
  readonly what?: string;
  readonly done: (t: T) => boolean;
}

export interface PollResult<T> {
  /** What the last look returned. */
  readonly last: T;
  /** From the first look until done, or until the bound ran out. */
  readonly ms: number;
  readonly done: boolean;
  readonly looks: number;
}

/** Throws the abort error when `signal` has been aborted. */
export function throwIfAborted(signal: AbortSignal | undefined, what = 'waiting'): void {
  if (signal?.aborted) throw abortError(signal, what);
}

function abortError(signal: AbortSignal, what: string): HarnessError {
  return new HarnessError('ABORTED', `interrupted while ${what}`, { cause: signal.reason });
}

/** `p`, or the abort error as soon as `signal` aborts (`p` is then left to settle unobserved). */
export async function abortable<T>(
  p: Promise<T>,
  signal: AbortSignal | undefined,
  what = 'waiting',
): Promise<T> {
  if (!signal) return p;
  throwIfAborted(signal, what);
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(abortError(signal, what));
    signal.addEventListener('abort', onAbort, { once: true });
  });
  p.catch(() => undefined);
  try {
    return await Promise.race([p, aborted]);
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}

/** Sleeps `ms`, or rejects with the abort error as soon as `signal` aborts. */
export async function pause(ms: number, signal?: AbortSignal, what = 'waiting'): Promise<void> {
  throwIfAborted(signal, what);
  try {
    await sleep(ms, undefined, signal ? { signal } : {});
  } catch (err) {
    if (signal?.aborted) throw abortError(signal, what);
    throw err;
  }
}

/**
 * Looks until `done(look())` or the bound; always looks at least once. A look that throws ends the
 * poll with that error: a caller for whom a failed look means "no answer yet" catches inside `look`.
 */
export async function poll<T>(look: (n: number) => Promise<T>, opts: PollOptions<T>): Promise<PollResult<T>> {
  const what = opts.what ?? 'waiting';
  const t0 = Date.now();
  for (let looks = 1; ; looks++) {
    throwIfAborted(opts.signal, what);
    const last = await abortable(look(looks), opts.signal, what);
    const ms = Date.now() - t0;
    if (opts.done(last)) return { last, ms, done: true, looks };
    if (ms >= opts.boundMs) return { last, ms, done: false, looks };
    await pause(Math.min(opts.intervalMs ?? 250, opts.boundMs - ms), opts.signal, what);
  }
}

/** A look's outcome when a throw means "no answer" rather than the end of the poll. */
export type Answer<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: unknown };

/** Runs `fn`, turning a throw into an Answer (an abort still ends the poll: it is rethrown). */
export async function answer<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<Answer<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (err) {
    if (signal?.aborted) throw err;
    return { ok: false, error: err };
  }
}
