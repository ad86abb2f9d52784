import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { isAbort } from '../errors.ts';
import type { Access } from '../etcd/api.ts';
import { clusterForFile } from '../test-support/helpers.ts';
import { RevisionMark, readTruth } from './common.ts';
import { assessProbes, startProbes } from './index.ts';
import { informer } from './informer.ts';
import { leaseLock } from './lease-lock.ts';
import type { ProbeKind } from './types.ts';

// A harness failure inside the probe assessment must end as 'unknown', never as a product outcome:
// each failure is injected through a seam (a probe kind, the access used to read etcd's truth).

const file = clusterForFile(1, 'verdicts');

/** A probe that reads etcd and always disagrees; once restarted it agrees, unless its restart fails. */
function stubborn(restart: 'fails' | 'agrees'): ProbeKind {
  return {
    name: 'informer',
    standsFor: 'a test stand-in',
    async start(_a, opts) {
      if (opts.instance === 'restarted' && restart === 'fails') throw new Error('injected: no restart');
      const ok = opts.instance === 'restarted';
      return {
        revisions: new RevisionMark(),
        async check(truth) {
          await readTruth(truth, (c) => c.get('anything').string());
          return { ok, evidence: { view: ok ? 'agrees' : 'disagrees' } };
        },
        async stop() {},
      };
    },
  };
}

/** An endpoint nothing listens on: every read of etcd through it fails. */
async function deadAccess(): Promise<Access> {
  const srv = createServer().listen(0, '127.0.0.1');
  await new Promise((r) => srv.once('listening', r));
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  return { endpoints: [`http://127.0.0.1:${port}`] };
}

describe('probe assessment: a harness failure is unknown', () => {
  it('a probe that disagrees and then cannot be started again is unknown with the error', async () => {
    const a = file.cluster.access();
    const control = await startProbes(a, [stubborn('agrees')]);
    const [ok] = await assessProbes(control, a, 0, 500);
    await control.stop();
    expect(ok).toMatchObject({ outcome: 'needs-restart' });
    expect(ok?.error).toBeUndefined();

    const set = await startProbes(a, [stubborn('fails')]);
    try {
      const [r] = await assessProbes(set, a, 0, 500);
      expect(r).toMatchObject({ probe: 'informer', outcome: 'unknown' });
      expect(r?.error).toMatch(/could not start again: injected: no restart/);
    } finally {
      await set.stop();
    }
  });

  it('real probes whose read of etcd fails for the whole bound are unknown, not disagreeing', async () => {
    const a = file.cluster.access();
    const set = await startProbes(a, [informer, leaseLock]);
    try {
      // Control: with a readable etcd the same probes answer.
      const fine = await assessProbes(set, a, 0, 8000);
      expect(fine.map((r) => r.outcome)).toEqual(['recovered', 'recovered']);
      const reports = await assessProbes(set, await deadAccess(), 0, 1000);
      expect(reports.map((r) => [r.probe, r.outcome])).toEqual([
        ['informer', 'unknown'],
        ['lease-lock', 'unknown'],
      ]);
      for (const r of reports) expect(r.error).toMatch(/could not read etcd to compare/);
      // Not restarted: without an answer nobody knows whether a restart was needed.
      expect(reports.every((r) => r.afterRestart === undefined)).toBe(true);
      expect(set.running.size).toBe(2);
    } finally {
      await set.stop();
    }
  });

  it('Ctrl-C ends the assessment at once with an abort, not with outcomes', async () => {
    const a = file.cluster.access();
    const set = await startProbes(a, [stubborn('agrees')]);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 200);
    const t0 = Date.now();
    const err = await assessProbes(set, a, 0, 60_000, { signal: ac.signal }).catch((e: unknown) => e);
    await set.stop();
    expect(isAbort(err)).toBe(true);
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});
