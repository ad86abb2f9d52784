import { describe, expect, it } from 'vitest';
import { diffObjects, sameObjects, watchCacheRevisions } from './modern-checks.ts';

describe('served objects against etcd', () => {
  it('names extra, missing and other-version objects', () => {
    const served = new Map([
      ['widgets/default/a', '5'],
      ['widgets/default/late', '9'],
      ['widgets/default/b', '8'],
    ]);
    const etcd = new Map([
      ['widgets/default/a', '5'],
      ['widgets/default/b', '6'],
      ['widgets/default/c', '7'],
    ]);
    const d = diffObjects(served, etcd);
    expect(d).toEqual({
      extra: ['widgets/default/late'],
      missing: ['widgets/default/c'],
      otherVersion: [{ object: 'widgets/default/b', served: '8', etcd: '6' }],
    });
    expect(sameObjects(d)).toBe(false);
    expect(sameObjects(diffObjects(etcd, etcd))).toBe(true);
  });
});

describe('watch cache metrics', () => {
  const text = [
    '# TYPE apiserver_watch_cache_resource_version gauge',
    'apiserver_watch_cache_resource_version{group="drill.etcd-drill.io",resource="widgets"} 20',
    'apiserver_watch_cache_resource_version{group="apiextensions.k8s.io",resource="customresourcedefinitions"} 21',
    'apiserver_watch_cache_resource_version{resource="gadgets.drill.etcd-drill.io"} 19',
    'apiserver_watch_cache_events_received_total{group="drill.etcd-drill.io",resource="widgets"} 3',
  ].join('\n');

  it("reads the group's resources, with either label style", () => {
    expect(watchCacheRevisions(text, 'drill.etcd-drill.io')).toEqual(
      new Map([
        ['widgets', 20],
        ['gadgets', 19],
      ]),
    );
  });
});
