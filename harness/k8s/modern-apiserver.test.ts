import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { testContext } from '../test-support/helpers.ts';
import {
  createModernApi,
  leftovers,
  RETRY_429_MS,
  retry429,
  retry429Pause,
  startModernApiserver,
} from './modern-apiserver.ts';

/** Answers the statuses in turn, counting the calls. */
function answering(...statuses: number[]) {
  let calls = 0;
  const attempt = async () => ({ status: statuses[Math.min(calls++, statuses.length - 1)] as number });
  return { attempt, calls: () => calls };
}

describe('apiextensions-apiserver client: 429 "storage is (re)initializing" after a start', () => {
  it('tries a 429 again until another answer', async () => {
    const a = answering(429, 429, 200);
    expect(await retry429(a.attempt, 1000, () => 1)).toEqual({ status: 200 });
    expect(a.calls()).toBe(3);
  });

  it('does not retry any other answer, an error status included', async () => {
    for (const status of [200, 404, 500, 503]) {
      const a = answering(status, 200);
      expect(await retry429(a.attempt, 1000, () => 1)).toEqual({ status });
      expect(a.calls()).toBe(1);
    }
  });

  it('gives the last 429 once the next pause would pass the bound', async () => {
    const a = answering(429);
    const started = Date.now();
    // Tries at ~0, 400 and 800 ms; a fourth would start past the 1000 ms bound. The margins (200 ms)
    // keep timer lateness on a loaded machine from changing the count.
    expect(await retry429(a.attempt, 1000, () => 400)).toEqual({ status: 429 });
    expect(a.calls()).toBe(3);
    expect(Date.now() - started).toBeLessThan(3000);
    // A bound of 0: one try, no pause.
    const once = answering(429, 200);
    expect(await retry429(once.attempt, 0)).toEqual({ status: 429 });
    expect(once.calls()).toBe(1);
  });

  it('pauses 100 ms, doubling, at most 1 s, within a bound of seconds', () => {
    expect([0, 1, 2, 3, 4, 5].map(retry429Pause)).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(RETRY_429_MS).toBeGreaterThanOrEqual(2000);
  });
});

describe('startModernApiserver: a failure before the process starts', () => {
  it('leaves no private key behind (everything but the log is removed)', async () => {
    const ctx = await testContext();
    try {
      const dir = join(ctx.workDir, 'k8s-modern');
      // The PKI and the kubeconfig are written; the etcd client key then fails to be.
      const tls = { ca: 'ca', cert: 'cert', key: undefined as unknown as string };
      const err = await startModernApiserver({
        dist: { apiserver: '/bin/true' },
        etcd: { endpoints: ['https://127.0.0.1:1'], tls },
        dir,
        ctx,
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      expect(existsSync(dir)).toBe(true);
      expect(await leftovers(dir)).toEqual([]);
    } finally {
      await rm(ctx.workDir, { recursive: true, force: true });
    }
  });
});

describe('startModernApiserver: bad input', () => {
  it('names the problem and the fix', async () => {
    const ctx = await testContext();
    try {
      const outside = startModernApiserver({
        dist: { apiserver: '/bin/true' },
        etcd: { endpoints: ['http://127.0.0.1:1'] },
        dir: '/tmp/elsewhere',
        ctx,
      });
      await expect(outside).rejects.toMatchObject({
        code: 'BAD_INPUT',
        message: expect.stringMatching(/is not inside the run's folder.*: pass a dir under ctx\.workDir/),
      });
      const noEndpoints = startModernApiserver({
        dist: { apiserver: '/bin/true' },
        etcd: { endpoints: [] },
        dir: join(ctx.workDir, 'k8s-modern'),
        ctx,
      });
      await expect(noEndpoints).rejects.toMatchObject({
        code: 'BAD_INPUT',
        message: expect.stringMatching(/no etcd endpoints given: pass .*cluster\.access\(\)/),
      });
    } finally {
      await rm(ctx.workDir, { recursive: true, force: true });
    }
  });
});

describe('ModernApi.waitEstablished', () => {
  it('ends at once with ABORTED when the run is interrupted', async () => {
    const ac = new AbortController();
    ac.abort();
    const api = createModernApi({
      server: 'https://127.0.0.1:1',
      ca: '',
      cert: '',
      key: '',
      signal: ac.signal,
    });
    await expect(api.waitEstablished('widgets.x.io', 60_000)).rejects.toMatchObject({
      code: 'ABORTED',
      message: expect.stringContaining('CRD widgets.x.io'),
    });
  });
});
