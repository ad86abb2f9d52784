import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import type { Cluster } from '../cluster/types.ts';
import { runDrill } from '../drill.ts';
import { withV3 } from '../etcd/api.ts';
import { LOAD_PREFIX, startWriteLoad } from '../observe/load.ts';
import { clusterForFile, drillProcesses, runFolders, scenarioWithFaults } from '../test-support/helpers.ts';

const out = await mkdtemp(join(tmpdir(), 'drill-write-load-'));
afterAll(() => rm(out, { recursive: true, force: true }));

/** Every load key the cluster holds, with the revision that last modified it (etcd's word, not the log's). */
async function loadKeys(cluster: Cluster): Promise<Map<string, number>> {
  return withV3(cluster.access(), async (c) => {
    const res = await c.kv.range({
      key: Buffer.from(LOAD_PREFIX),
      range_end: Buffer.from('/etcd-drill/load0'),
    });
    return new Map(res.kvs.map((kv) => [kv.key.toString(), Number(kv.mod_revision)]));
  });
}

describe('the load generator', () => {
  const c = clusterForFile(3, 'write-load');

  it('logs each acknowledged put with its revision, and stops on Ctrl-C with nothing in flight', async () => {
    const ctrlC = new AbortController();
    const load = startWriteLoad(
      c.cluster.access(c.cluster.members),
      { writers: 3, opsPerSec: 60, prefix: `${LOAD_PREFIX}gen/` },
      ctrlC.signal,
    );
    await sleep(1500);
    ctrlC.abort();
    const log = await load.stop();
    const n = log.acked.length;
    await sleep(300);
    expect(log.acked.length).toBe(n); // nothing acknowledged after the stop
    expect(n).toBeGreaterThan(20); // 60/s for 1.5 s, on a busy machine
    expect(log.errors).toBe(0);
    expect(new Set(log.acked.map((w) => w.revision)).size).toBe(n); // one revision per put
    const stored = await loadKeys(c.cluster);
    for (const w of log.acked) expect(stored.get(w.key)).toBe(w.revision);
  });
});

describe.each(['3.5.30', '3.3.25'])('write load during snapshot save, etcd %s (process provider)', (etcd) => {
  it('the restore is the snapshot at its revision exactly; the writes acknowledged after it are the RPO', async () => {
    const dir = await scenarioWithFaults(out, 's1-v3-snapshot-restore', [
      { kind: 'write-load', at: { during: 'backup' }, writers: 4, opsPerSec: 100 },
    ]);
    let before = new Map<string, number>();
    let after = new Map<string, number>();
    const folders = runFolders();
    const { run, workDir } = await runDrill({
      provider: 'process',
      probes: false,
      out,
      quiet: true,
      etcd,
      scenarioDir: dir,
      scenarios: ['s1-v3-snapshot-restore'],
      beforeDisaster: async (cluster) => {
        before = await loadKeys(cluster);
      },
      afterRestore: async (cluster) => {
        after = await loadKeys(cluster);
      },
    });
    const r = run.results[0];
    expect(r?.error).toBeUndefined();
    const o = r?.observations;
    const rev = o?.backup?.revision as number;
    // The backup point moved from the harness's read to the snapshot's revision.
    expect(o?.backupPoint?.revision).toBe(rev);
    expect(o?.backupPoint?.readRevision).toBeLessThan(rev);
    const check = (id: string) => r?.checks.find((x) => x.id === id);
    expect(check('v3-data')?.observed).toBe('restored'); // parity exact under load
    expect(check('acknowledged-writes')?.observed).toBe('as acknowledged');
    const [view] = o?.writeLoad ?? [];
    // etcd's own word: the restore holds exactly the load keys at or below the snapshot's revision.
    const held = [...before].filter(([, m]) => m <= rev);
    const beyond = [...before].filter(([, m]) => m > rev);
    expect([...after].sort()).toEqual(held.sort());
    expect(view?.missing).toBe(0);
    expect(view?.expected).toBeGreaterThan(0);
    expect(view?.beyondBackup).toBe(view?.rpo.writes);
    // A put that timed out may still have landed: lost keys lie between acknowledged and attempted.
    expect(view?.rpo.writes).toBeLessThanOrEqual(beyond.length);
    expect((view?.rpo.writes ?? 0) + (view?.errors ?? 0)).toBeGreaterThanOrEqual(beyond.length);
    expect(view?.rpo.writes ?? 0).toBeGreaterThan(0); // snapshot status and the hash run while the load writes
    expect(view?.rpo.seconds).toBeGreaterThan(0);
    const fault = r?.faults.find((f) => f.fault === 'write-load');
    expect(fault?.healedAtMs).toBeGreaterThan(fault?.injectedAtMs ?? Number.POSITIVE_INFINITY);
    console.log(
      `etcd ${etcd}: snapshot rev ${rev} (harness read ${o?.backupPoint?.readRevision}); ` +
        `load ${view?.acknowledged} acked / ${view?.attempted} attempted, ${view?.errors} errors; ` +
        `in backup ${view?.expected}, missing ${view?.missing}; lost ${view?.rpo.writes} writes over ${view?.rpo.seconds} s; ` +
        `cluster before disaster: ${held.length} at/below, ${beyond.length} above; restored ${after.size}`,
    );
    expect(drillProcesses(workDir)).toHaveLength(0);
    expect(runFolders()).toEqual(folders);
  });
});
