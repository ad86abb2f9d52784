import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { cniConfig, kindConfig, kindNodeNames, tailOf } from './cluster.ts';
import { boundingSetHas } from './prepare.ts';

describe('kind: cluster config, pod network, errors', () => {
  it('asks for 3 control planes and the workers, no default CNI, and the drilled etcd as kubeadm image tag', () => {
    const c = kindConfig('k', { controlPlanes: 3, workers: 2, etcdVersion: '3.5.30' });
    expect(c.match(/- role: control-plane/g)).toHaveLength(3);
    expect(c.match(/- role: worker/g)).toHaveLength(2);
    expect(c).toContain('disableDefaultCNI: true');
    expect(c).toContain('imageTag: "3.5.30-0"');
  });
  it('names nodes as kind does, mounts per node and passes etcd flags through kubeadm', () => {
    expect(kindNodeNames('k', 3, 2)).toEqual([
      'k-control-plane',
      'k-control-plane2',
      'k-control-plane3',
      'k-worker',
      'k-worker2',
    ]);
    const c = parse(
      kindConfig('k', {
        controlPlanes: 2,
        workers: 1,
        etcdVersion: '3.5.30',
        mounts: (n) =>
          n.endsWith('2') ? [{ hostPath: `/w/${n}.data`, containerPath: '/var/lib/etcd' }] : [],
        etcdExtraArgs: { 'enable-v2': 'true' },
      }),
    );
    expect(c.nodes).toEqual([
      { role: 'control-plane' },
      {
        role: 'control-plane',
        extraMounts: [{ hostPath: '/w/k-control-plane2.data', containerPath: '/var/lib/etcd' }],
      },
      { role: 'worker' },
    ]);
    expect(parse(c.kubeadmConfigPatches[0]).etcd.local.extraArgs).toEqual({ 'enable-v2': 'true' });
  });
  it("gives a node's pods its podCIDR through ptp + host-local, and refuses a node without one", () => {
    const cfg = JSON.parse(cniConfig('10.244.1.0/24'));
    expect(cfg.plugins[0].type).toBe('ptp');
    expect(cfg.plugins[0].ipam.ranges).toEqual([[{ subnet: '10.244.1.0/24' }]]);
    expect(() => cniConfig('')).toThrow(/no IPv4 podCIDR/);
  });
  it("quotes kind's error lines, not kubeadm's health polling before them", () => {
    const out = [
      'I1202 08:02:38.962972 118 round_trippers.go:445] GET https://lb:6443/healthz?timeout=10s in 1 milliseconds',
      'error execution phase wait-control-plane',
      '\t/src/k8s.io/kubernetes/cmd/kubeadm/app/kubeadm.go:50',
      'ERROR: failed to create cluster: failed to init node with kubeadm',
    ].join('\n');
    expect(tailOf(out)).toBe(
      'error execution phase wait-control-plane | ERROR: failed to create cluster: failed to init node with kubeadm',
    );
    expect(tailOf('Creating cluster\nsomething odd')).toBe('Creating cluster | something odd');
  });
  it('reads CAP_SYS_RESOURCE (bit 24) from the capability bounding set', () => {
    expect(boundingSetHas('Name:\tnode\nCapBnd:\t000001ffffffffff\n', 24)).toBe(true);
    expect(boundingSetHas('CapBnd:\t000001fffeffffff\n', 24)).toBe(false);
    expect(boundingSetHas('no such line', 24)).toBe(false);
  });
});
