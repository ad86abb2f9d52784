import { describe, expect, it } from 'vitest';
import { countByType, typeCounts } from './registry.ts';

describe('per-type counts', () => {
  it('counts /registry/<type>/ keys and ignores the rest', () => {
    expect(
      countByType([
        '/registry/pods/default/a',
        '/registry/pods/kube-system/b',
        '/registry/services/specs/default/c',
        '/etcd-drill/after-backup',
        '/registry/ranges',
      ]),
    ).toEqual({ pods: 2, services: 1 });
  });
  it('puts both sides side by side with zeros for a type one side lacks', () => {
    expect(typeCounts(['/registry/pods/x/a', '/registry/secrets/x/s'], ['/registry/pods/x/a'])).toEqual({
      pods: { backup: 1, restored: 1 },
      secrets: { backup: 1, restored: 0 },
    });
  });
});
