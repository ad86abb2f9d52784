import { describe, expect, it } from 'vitest';
import { backupAgeSeconds, CLUSTER_SCOPED, ContentsTally, namespaceFromKey } from './contents.ts';

describe('namespaceFromKey', () => {
  it.each([
    ['/registry/pods/team-a/web', 'team-a'],
    ['/registry/services/specs/default/kubernetes', 'default'],
    ['/registry/apiregistration.k8s.io/apiservices/v1.apps', CLUSTER_SCOPED],
    ['/registry/example.com/widgets/team-b/w1', 'team-b'],
    ['/registry/namespaces/team-a', CLUSTER_SCOPED],
    ['/registry/minions/node-1', CLUSTER_SCOPED],
    ['/other/key', undefined],
  ])('%s → %s', (key, ns) => expect(namespaceFromKey(key)).toBe(ns));
});

describe('ContentsTally', () => {
  const tally = (entries: [string, string][]) => {
    const t = new ContentsTally();
    for (const [k, v] of entries) t.add(k, Buffer.from(v, 'latin1'));
    return t.result();
  };

  it("takes the object's own namespace over the key's, and reads the newest times", () => {
    const c = tally([
      ['/registry/pods/x/a', '{"metadata":{"namespace":"y","creationTimestamp":"2026-01-02T00:00:00Z"}}'],
      [
        '/registry/pods/x/b',
        '{"metadata":{"creationTimestamp":"2026-01-01T00:00:00Z","managedFields":[{"time":"2026-03-01T00:00:00Z"},{"time":"bad"}]}}',
      ],
      ['/registry/leases/kube-system/s', 'k8s\0\n\x02v1'],
      ['/flannel/other', 'x'],
    ]);
    expect(c.byNamespace).toEqual({ 'kube-system': 1, x: 1, y: 1 });
    expect(c.byType).toEqual({ leases: 1, pods: 2 });
    expect(c).toMatchObject({ keys: 4, notKubernetes: 1, encoding: { json: 2, protobuf: 1, other: 0 } });
    expect(c.newest).toEqual({
      creationTimestamp: '2026-01-02T00:00:00Z',
      managedFieldsTime: '2026-03-01T00:00:00Z',
    });
    expect(backupAgeSeconds(c, new Date('2026-03-01T00:01:00Z'))).toBe(60);
  });

  it('has no age when no time was readable (protobuf only), rather than a guess', () => {
    const c = tally([['/registry/pods/x/a', 'k8s\0\n']]);
    expect(c.newest).toEqual({});
    expect(backupAgeSeconds(c, new Date())).toBeUndefined();
  });
});
