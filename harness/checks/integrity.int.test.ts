import { describe, expect, it } from 'vitest';
import type { Cluster } from '../cluster/types.ts';
import { clusterForFile } from '../test-support/helpers.ts';
import { integrityOutcome, readIntegrity } from './integrity.ts';

// A member that did not come back must not be left out of the comparison as if it agreed.

const file = clusterForFile(3, 'integrity');

/** The real cluster, except that the first `n` hashkv answers of etcd1 report another hash (a seam). */
function skewed(c: Cluster, n: number): Cluster {
  let left = n;
  return new Proxy(c, {
    get(target, prop, receiver) {
      if (prop !== 'etcdctl') return Reflect.get(target, prop, receiver);
      return async (args: readonly string[], opts?: { endpoints?: readonly { name: string }[] }) => {
        const out = await target.etcdctl(args, opts as never);
        if (args[1] !== 'hashkv' || opts?.endpoints?.[0]?.name !== 'etcd1' || left-- <= 0) return out;
        return { ...out, stdout: out.stdout.replace(/"hash":\d+/, '"hash":1') };
      };
    },
  });
}

describe('integrity on a live etcd 3.5.30 cluster', () => {
  it('a mismatch that heals within three looks is transient, with each look; one that holds is a mismatch', async () => {
    const healed = await readIntegrity(skewed(file.cluster, 1));
    expect(integrityOutcome(healed)).toBe('transient mismatch');
    expect(healed.looks).toHaveLength(2);
    expect(healed.looks?.[0]?.hashes.find((h) => h.member === 'etcd1')?.hash).toBe(1);
    expect(healed.looks?.every((l) => l.revision > 0)).toBe(true);
    const held = await readIntegrity(skewed(file.cluster, 3));
    expect(integrityOutcome(held)).toBe('hash mismatch');
    expect(held.looks).toHaveLength(3);
  });

  it('consistent with every member running; incomplete, naming it, with one stopped', async () => {
    const all = await readIntegrity(file.cluster);
    expect(all.hashes).toHaveLength(3);
    expect(integrityOutcome(all)).toBe('consistent');

    const m3 = file.cluster.members[2];
    if (!m3) throw new Error('three members expected');
    await m3.stop();
    const two = await readIntegrity(file.cluster);
    expect(two.missing).toEqual([m3.name]);
    expect(two.hashes.map((h) => h.member)).not.toContain(m3.name);
    expect(integrityOutcome(two)).toBe('incomplete');
  });
});
