import { describe, expect, it } from 'vitest';
import { HarnessError, isAbort } from '../errors.ts';
import { abortable, answer, pause, poll } from './poll.ts';

describe('poll', () => {
  it('returns on the first look that is done, with the number of looks', async () => {
    const r = await poll(async (n) => n, { boundMs: 5000, intervalMs: 1, done: (n) => n === 3 });
    expect(r).toMatchObject({ last: 3, done: true, looks: 3 });
  });

  it('looks at least once, and gives up at the bound with the last look', async () => {
    const once = await poll(async (n) => n, { boundMs: 0, done: () => false });
    expect(once).toMatchObject({ last: 1, done: false, looks: 1 });
    const t0 = Date.now();
    const r = await poll(async (n) => n, { boundMs: 120, intervalMs: 20, done: () => false });
    expect(r.done).toBe(false);
    expect(r.ms).toBeGreaterThanOrEqual(120);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(r.looks).toBeGreaterThan(2);
  });

  it('a look that throws ends the poll with that error', async () => {
    const boom = new Error('boom');
    await expect(
      poll(
        async () => {
          throw boom;
        },
        { boundMs: 1000, done: () => true },
      ),
    ).rejects.toBe(boom);
  });

  it('rejects promptly with an abort error when the signal aborts during a pause', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(new HarnessError('ABORTED', 'interrupted by SIGINT')), 30);
    const t0 = Date.now();
    const err = await poll(async () => 0, {
      boundMs: 60_000,
      intervalMs: 10_000,
      signal: ac.signal,
      what: 'waiting for the cluster',
      done: () => false,
    }).catch((e: unknown) => e);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(isAbort(err)).toBe(true);
    expect((err as Error).message).toBe('interrupted while waiting for the cluster');
  });

  it('rejects promptly when the signal aborts during a look that hangs', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 30);
    const hang = new Promise<number>(() => undefined);
    const t0 = Date.now();
    const err = await poll(() => hang, { boundMs: 60_000, signal: ac.signal, done: () => true }).catch(
      (e: unknown) => e,
    );
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(isAbort(err)).toBe(true);
  });

  it('does not look at all with a signal already aborted', async () => {
    const ac = new AbortController();
    ac.abort();
    let looks = 0;
    const err = await poll(
      async () => {
        looks++;
        return 0;
      },
      { boundMs: 1000, signal: ac.signal, done: () => true },
    ).catch((e: unknown) => e);
    expect(isAbort(err)).toBe(true);
    expect(looks).toBe(0);
  });
});

describe('pause, abortable, answer', () => {
  it('pause sleeps without a signal and rejects on abort with one', async () => {
    await pause(1);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 10);
    expect(isAbort(await pause(10_000, ac.signal).catch((e: unknown) => e))).toBe(true);
  });

  it('abortable passes a settled value through and leaves no listener behind', async () => {
    const ac = new AbortController();
    expect(await abortable(Promise.resolve(7), ac.signal)).toBe(7);
    await expect(abortable(Promise.reject(new Error('x')), ac.signal)).rejects.toThrow('x');
  });

  it('answer turns a throw into no answer, but rethrows once aborted', async () => {
    expect(await answer(async () => 1)).toEqual({ ok: true, value: 1 });
    const e = new Error('down');
    expect(
      await answer(async () => {
        throw e;
      }),
    ).toEqual({ ok: false, error: e });
    const ac = new AbortController();
    ac.abort();
    await expect(
      answer(async () => {
        throw e;
      }, ac.signal),
    ).rejects.toBe(e);
  });
});
