import { describe, expect, it } from 'vitest';
import {
  diffCache,
  diffExact,
  diffIsEmpty,
  type Expectation,
  etcdKeyOf,
  inScope,
  parseRegistryKey,
  type ServedObject,
  scopeOf,
} from './checks.ts';
import type { ObjectRef } from './objects.ts';

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
