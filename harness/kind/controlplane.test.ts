import { describe, expect, it } from 'vitest';
import type { KubeApi } from '../k8s/api.ts';
import { adminAccess, exitsOf, notReady } from './controlplane.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe("kind: the admin kubeconfig's access", () => {
  it('reads the server, CA and client certificate kind wrote', () => {
    const kc = `apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: ${b64('CA PEM')}
    server: https://127.0.0.1:39021
  name: kind-x
users:
- name: kind-x
  user:
    client-certificate-data: ${b64('CERT PEM')}
    client-key-data: ${b64('KEY PEM')}
`;
    expect(adminAccess(kc)).toEqual({
      server: 'https://127.0.0.1:39021',
      ca: 'CA PEM',
      cert: 'CERT PEM',
      key: 'KEY PEM',
    });
  });
  it('says so when the kubeconfig has no client certificate', () => {
    expect(() => adminAccess('clusters: []\n')).toThrow(/no server or client certificate/);
  });
});

describe('kind: when the cluster is ready', () => {
  const now = Date.parse('2026-12-02T13:00:00Z');
  const node = (name: string, ready: string) => ({
    metadata: { name },
    status: { conditions: [{ type: 'Ready', status: ready }] },
  });
  const api = (o: { readyz?: number; holders?: boolean; renewedAgoMs?: number; nodeReady?: string }) =>
    ({
      raw: async () => ({ status: o.readyz ?? 200, body: '' }),
      list: async () => ({ items: [node('n1', o.nodeReady ?? 'True')], resourceVersion: '1' }),
      get: async (ref: { namespace?: string; name: string }) => ({
        metadata: { name: ref.name },
        spec: {
          renewTime: new Date(now - (o.renewedAgoMs ?? 5000)).toISOString(),
          ...(ref.namespace === 'kube-node-lease' || o.holders !== false ? { holderIdentity: 'x' } : {}),
        },
      }),
    }) as unknown as KubeApi;
  it('is ready with /readyz ok, both leases held, nodes Ready and kubelets renewing', async () => {
    expect(await notReady(api({}), now)).toBeUndefined();
  });
  it('says what is missing: the apiserver, a lease holder, a node, a kubelet', async () => {
    expect(await notReady(api({ readyz: 500 }), now)).toBe('apiserver /readyz 500');
    expect(await notReady(api({ holders: false }), now)).toBe(
      'no kube-controller-manager lease holder renewing',
    );
    // A holder left from before a restart is not ready: its last renewal predates it.
    expect(await notReady(api({}), now, now - 1000)).toBe('no kube-controller-manager lease holder renewing');
    expect(await notReady(api({ nodeReady: 'False' }), now)).toBe('n1 not Ready');
    expect(await notReady(api({ renewedAgoMs: 60_000 }), now)).toBe(
      'no kube-controller-manager lease holder renewing',
    );
  });
});

describe("kind: the control plane's exits, from its pods", () => {
  it('reports the last exit of each restarted control-plane container, never etcd or kube-proxy', () => {
    const pod = (name: string, container: string, restarts: number, finishedAt?: string) => ({
      metadata: { name },
      spec: { nodeName: 'cp2' },
      status: {
        containerStatuses: [
          {
            name: container,
            restartCount: restarts,
            ...(finishedAt
              ? { lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt } } }
              : {}),
          },
        ],
      },
    });
    expect(
      exitsOf([
        pod('kube-apiserver-cp2', 'kube-apiserver', 3, '2026-12-02T13:10:00Z'),
        pod('etcd-cp2', 'etcd', 2, '2026-12-02T13:09:00Z'),
        pod('kube-scheduler-cp2', 'kube-scheduler', 0),
      ]),
    ).toEqual([
      {
        component: 'kube-apiserver',
        at: '2026-12-02T13:10:00Z',
        how: 'code 1',
        reason: 'Error on cp2, restarted 3 time(s) in all',
      },
    ]);
  });
});
