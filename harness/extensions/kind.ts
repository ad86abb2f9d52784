import { v3Fixture } from '../../fixtures/index.ts';
import { clusterOf } from '../engine/context.ts';
import type { Extension } from '../engine/extension.ts';
import { putAllV3 } from '../etcd/api.ts';

/** Where the raw v3 fixture goes on kind: beside the live cluster's /registry, not in it. */
export const KIND_FIXTURE_PREFIX = '/etcd-drill/kind-fixture';

/** Keys the harness compares on kind: its own, never the live cluster's objects under /registry. */
export function kindKey(key: string): boolean {
  return !key.startsWith('/registry/');
}

/**
 * What a drill on kind needs because a real Kubernetes runs over its etcd: kind's apiserver,
 * controllers and kubelets rewrite /registry all along (leases, events, node status), and would act
 * on raw fixture objects written there (a seeded Deployment gets ReplicaSets). So the fixture is
 * seeded under its own prefix and the data checks compare the harness's keys only.
 */
export function kindExtension(): Extension {
  return {
    name: 'kind',
    keep: kindKey,
    async seedV3(d) {
      const opts = { objects: d.options.objects ?? d.scenario.fixtures.objects };
      const ops = [...v3Fixture(d.scenario.fixtures.v3, opts)].map((op) => ({
        ...op,
        key: `${KIND_FIXTURE_PREFIX}${op.key}`,
      }));
      return { v3: await putAllV3(clusterOf(d).access(), ops, { bulk: true }) };
    },
    hooks: {},
  };
}
