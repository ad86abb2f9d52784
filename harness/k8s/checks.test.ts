import { describe, expect, it } from 'vitest';
import { HarnessError, isAbort } from '../errors.ts';
import type { KubeApi } from './api.ts';
import {
  apiServesExactly,
  deploymentReconciles,
  diffCache,
  diffExact,
  diffIsEmpty,
  type Expectation,
  etcdKeyOf,
  inScope,
  leaderElection,
  leaderElectionAfterRestart,
  noAnswer,
  noOrphansRecreated,
  parseRegistryKey,
  type ServedObject,
  scopeOf,
} from './checks.ts';
import type { KObject, ObjectRef } from './objects.ts';

const label = { key: 'etcd-drill.io/fixture', value: 'w' };
const L = { [label.key]: label.value };
const cm = (ns: string, name: string): ObjectRef => ({ kind: 'ConfigMap', namespace: ns, name });

describe('etcd keys of Kubernetes objects', () => {
  it.each([
    [{ kind: 'Namespace', name: 'drill-a' }, '/registry/namespaces/drill-a'],
    [{ kind: 'Node', name: 'drill-node-1' }, '/registry/minions/drill-node-1'],
    [{ kind: 'Service', namespace: 'a', name: 'web' }, '/registry/services/specs/a/web'],
    [{ kind: 'Endpoints', namespace: 'a', name: 'web' }, '/registry/services/endpoints/a/web'],
    [{ kind: 'Deployment', namespace: 'a', name: 'web' }, '/registry/deployments/a/web'],
    [
      { kind: 'Lease', namespace: 'kube-system', name: 'kube-scheduler' },
      '/registry/leases/kube-system/kube-scheduler',
    ],
  ] as [ObjectRef, string][])('%j lives at %s, and parses back', (ref, key) => {
    expect(etcdKeyOf(ref)).toBe(key);
    expect(parseRegistryKey(key)).toEqual(ref);
  });

  it('ignores keys of kinds it does not know, and malformed ones', () => {
    expect(parseRegistryKey('/registry/clusterroles/admin')).toBeUndefined();
    expect(parseRegistryKey('/registry/services/specs/a')).toBeUndefined(); // no name
    expect(parseRegistryKey('/registry/namespaces/a/b')).toBeUndefined(); // cluster-scoped with a namespace
    expect(parseRegistryKey('/registry/masterleases/127.0.0.1')).toBeUndefined();
    expect(parseRegistryKey('/other/configmaps/a/b')).toBeUndefined();
    expect(parseRegistryKey('/k8s/configmaps/a/b', '/k8s')).toEqual(cm('a', 'b'));
  });
});

describe('diffExact', () => {
  const e: Expectation = {
    label,
    present: [
      { ref: { kind: 'Namespace', name: 'a' } },
      { ref: cm('a', 'x'), data: { K: 'v' } },
      { ref: { kind: 'Deployment', namespace: 'a', name: 'web' }, replicas: 2 },
    ],
    absent: [cm('a', 'late')],
  };
  const etcd = [
    { kind: 'Namespace', name: 'a' },
    cm('a', 'x'),
    cm('a', 'kube-root-ca.crt'),
    { kind: 'Deployment', namespace: 'a', name: 'web' },
  ] as ObjectRef[];
  const served: ServedObject[] = [
    { ref: { kind: 'Namespace', name: 'a' }, labels: L },
    { ref: cm('a', 'x'), labels: L, data: { K: 'v' } },
    { ref: cm('a', 'kube-root-ca.crt'), data: {} },
    { ref: { kind: 'Deployment', namespace: 'a', name: 'web' }, labels: L, replicas: 2 },
    // Out of scope: another namespace, another kind.
    { ref: cm('other', 'y'), labels: L },
    { ref: { kind: 'Pod', namespace: 'a', name: 'web-1' }, labels: L },
  ];

  it('is empty when the API serves exactly the expected objects; unlabelled system objects do not count', () => {
    const d = diffExact(e, served, etcd);
    expect(d).toEqual({
      missing: [],
      resurrected: [],
      unexpected: [],
      differs: [],
      servedNotInEtcd: [],
      inEtcdNotServed: [],
    });
    expect(diffIsEmpty(d)).toBe(true);
  });

  it('names missing, resurrected, unexpected, changed objects and API/etcd disagreements', () => {
    const d = diffExact(
      e,
      [
        { ref: { kind: 'Namespace', name: 'a' }, labels: L },
        { ref: cm('a', 'late'), labels: L },
        { ref: cm('a', 'sneaky'), labels: L },
        { ref: { kind: 'Deployment', namespace: 'a', name: 'web' }, labels: L, replicas: 3 },
      ],
      [...etcd, cm('a', 'sneaky')],
    );
    expect(d.missing).toEqual(['ConfigMap a/x']);
    expect(d.resurrected).toEqual(['ConfigMap a/late']);
    expect(d.unexpected).toEqual(['ConfigMap a/sneaky']);
    expect(d.differs).toEqual([
      { object: 'Deployment a/web', field: 'spec.replicas', expected: 2, served: 3 },
    ]);
    expect(d.servedNotInEtcd).toEqual(['ConfigMap a/late']);
    expect(d.inEtcdNotServed.sort()).toEqual(['ConfigMap a/kube-root-ca.crt', 'ConfigMap a/x']);
    expect(diffIsEmpty(d)).toBe(false);
  });

  it('compares data regardless of key order', () => {
    const d = diffExact(
      { label, present: [{ ref: cm('a', 'x'), data: { A: '1', B: '2' } }] },
      [{ ref: cm('a', 'x'), data: { B: '2', A: '1' } }],
      [cm('a', 'x')],
    );
    expect(d.differs).toEqual([]);
  });
});

describe('scope', () => {
  it('covers the expectation’s kinds in its namespaces, absent ones included', () => {
    const s = scopeOf({
      label,
      present: [{ ref: { kind: 'Namespace', name: 'a' } }, { ref: cm('a', 'x') }],
      absent: [
        { kind: 'Namespace', name: 'late' },
        { kind: 'Secret', namespace: 'b', name: 's' },
      ],
    });
    expect(s.kinds.sort()).toEqual(['ConfigMap', 'Namespace', 'Secret']);
    expect(s.namespaces.sort()).toEqual(['a', 'b', 'late']);
    expect(inScope(cm('late', 'y'), s)).toBe(true);
    expect(inScope(cm('c', 'y'), s)).toBe(false);
    expect(inScope({ kind: 'Namespace', name: 'kube-system' }, s)).toBe(false);
    expect(inScope({ kind: 'Pod', namespace: 'a', name: 'p' }, s)).toBe(false);
  });
});

describe('diffCache', () => {
  const o = (name: string, rv: string): ServedObject => ({ ref: cm('a', name), resourceVersion: rv });
  it('agrees when cache, quorum read and etcd hold the same objects at the same versions', () => {
    const d = diffCache([o('x', '5')], [o('x', '5')], [cm('a', 'x')]);
    expect(Object.values(d).every((v) => v.length === 0)).toBe(true);
  });
  it('names stale, missing and other-version objects', () => {
    const d = diffCache(
      [o('x', '5'), o('ghost', '9')],
      [o('x', '7'), o('new', '8')],
      [cm('a', 'x'), cm('a', 'new')],
    );
    expect(d.staleInCache).toEqual(['ConfigMap a/ghost']);
    expect(d.missingFromCache).toEqual(['ConfigMap a/new']);
    expect(d.otherVersionInCache).toEqual([{ object: 'ConfigMap a/x', cache: '5', quorum: '7' }]);
    expect(d.quorumNotInEtcd).toEqual([]);
    expect(d.etcdNotInQuorum).toEqual([]);
  });
});

// ---- harness failures through a fake API: a check whose last look had no answer throws (unknown) ----

/** What a call does: the client's timeout/refusal carries no HTTP status; an API error does. */
const refused = () => new HarnessError('CLUSTER_UNHEALTHY', 'Kubernetes API list: connect ECONNREFUSED');
const status500 = () =>
  new HarnessError('CLUSTER_UNHEALTHY', 'Kubernetes API list: 500: etcdserver: request timed out', {
    details: { status: 500 },
  });

/** An API whose get/list/create do what `behave` says for the n-th call. */
function fakeApi(behave: (n: number) => 'refused' | '500' | KObjectList): KubeApi {
  let calls = 0;
  const act = async () => {
    const b = behave(calls++);
    if (b === 'refused') throw refused();
    if (b === '500') throw status500();
    return b;
  };
  const api = {
    server: 'https://fake',
    list: async () => ({ items: (await act()).items, resourceVersion: '1' }),
    get: async () => (await act()).items[0],
    create: async () => {
      await act();
      return { metadata: { name: 'x', uid: 'u' } };
    },
    replace: async () => {
      throw new Error('unused');
    },
    replaceNodeStatus: async () => {
      throw new Error('unused');
    },
    delete: async () => true,
    raw: async () => ({ status: 200, body: 'ok' }),
  };
  return api;
}
type KObjectList = { items: KObject[] };
const empty: KObjectList = { items: [] };
const absent: ObjectRef[] = [{ kind: 'Deployment', namespace: 'a', name: 'late' }];

describe('noOrphansRecreated: absence not looked at is not absence', () => {
  it('throws when every API call failed for the whole bound (no pass with errors only in evidence)', async () => {
    const err = await noOrphansRecreated(
      fakeApi(() => 'refused'),
      absent,
      100,
      { everyMs: 10 },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HarnessError);
    expect((err as Error).message).toMatch(/could not watch for recreated objects: .*ECONNREFUSED/);
    expect((err as HarnessError).details?.evidence).toMatchObject({ answeredPolls: 0, seen: [] });
  });

  it('throws when the last look failed, even after answered ones', async () => {
    const api = fakeApi((n) => (n < 3 ? empty : '500'));
    await expect(noOrphansRecreated(api, absent, 100, { everyMs: 10 })).rejects.toThrow(HarnessError);
  });

  it('holds when the looks answered with nothing, a failed look earlier notwithstanding', async () => {
    const api = fakeApi((n) => (n === 0 ? 'refused' : empty));
    const r = await noOrphansRecreated(api, absent, 100, { everyMs: 10 });
    expect(r.ok).toBe(true);
    expect(r.evidence.errors).toEqual([refused().message]);
  });

  it('a sighting is a finding whatever else failed', async () => {
    const seen = { items: [{ metadata: { name: 'late', namespace: 'a', uid: 'u1' } }] };
    const api = fakeApi((n) => (n === 0 ? seen : 'refused'));
    const r = await noOrphansRecreated(api, absent, 100, { everyMs: 10 });
    expect(r.ok).toBe(false);
  });

  it('an abort ends it at once, as an abort', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 20);
    const err = await noOrphansRecreated(
      fakeApi(() => empty),
      absent,
      60_000,
      {
        everyMs: 10_000,
        signal: ac.signal,
      },
    ).catch((e: unknown) => e);
    expect(isAbort(err)).toBe(true);
  });
});

describe('polling checks: an API that answers with an error is behaviour, one that does not answer is unknown', () => {
  const leases = (holder: string, renewTime: string) => ({
    items: [{ metadata: { name: 'l' }, spec: { holderIdentity: holder, renewTime } }],
  });

  it('leader election: no answer on the last look throws; a 500 is a result', async () => {
    await expect(
      leaderElection(
        fakeApi(() => 'refused'),
        { boundMs: 50 },
      ),
    ).rejects.toThrow(/no answer on the last look of 50 ms: .*ECONNREFUSED/);
    const r = await leaderElection(
      fakeApi(() => '500'),
      { boundMs: 50 },
    );
    expect(r.ok).toBe(false);
    expect(r.evidence.error).toMatch(/500/);
  });

  it('leader election still holds when the API answers well', async () => {
    const r = await leaderElection(
      fakeApi((n) => leases('h', String(Math.floor(n / 2)))),
      { boundMs: 5000 },
    );
    expect(r.ok).toBe(true);
  });

  it('after a restart without the holders from before, the leader check cannot be judged', async () => {
    const api = fakeApi((n) => leases('h', String(n)));
    await expect(
      leaderElectionAfterRestart(api, { ok: false, error: refused() }, { boundMs: 50 }),
    ).rejects.toThrow(/could not read the lease holders before the restart/);
    const r = await leaderElectionAfterRestart(
      api,
      { ok: true, value: { 'kube-controller-manager': 'old', 'kube-scheduler': 'old' } },
      { boundMs: 5000 },
    );
    expect(r.ok).toBe(true);
  });

  it('a Deployment that cannot be created for want of an answer is unknown, a refusal with a status is a result', async () => {
    await expect(
      deploymentReconciles(
        fakeApi(() => 'refused'),
        'ns',
        'd',
        1,
        50,
      ),
    ).rejects.toThrow(/could not create Deployment ns\/d/);
    const r = await deploymentReconciles(
      fakeApi(() => '500'),
      'ns',
      'd',
      1,
      50,
    );
    expect(r.ok).toBe(false);
    expect(r.evidence.createFailed).toMatch(/500/);
  });

  it('a failed read of etcd on the last look is unknown', async () => {
    const dead = { endpoints: ['http://127.0.0.1:1'] };
    const e: Expectation = { label, present: [{ ref: cm('a', 'x') }] };
    await expect(
      apiServesExactly(
        fakeApi(() => empty),
        dead,
        e,
        { boundMs: 50 },
      ),
    ).rejects.toThrow(/could not read etcd's keys/);
  });
});

describe('noAnswer', () => {
  it("takes an etcd gRPC error's numeric code for no answer, not an HTTP status", () => {
    expect(
      noAnswer(Object.assign(new Error('14 UNAVAILABLE: No connection established'), { code: 14 })),
    ).toBe(true);
    expect(noAnswer(Object.assign(new Error('HTTP-Code: 404'), { code: 404 }))).toBe(false);
    expect(noAnswer(new Error('connect ECONNREFUSED 127.0.0.1:1'))).toBe(true);
  });
});
