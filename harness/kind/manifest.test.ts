import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { etcdManifest, flagMap } from './manifest.ts';

// The shape kubeadm 1.20 writes (abridged): the command list is what a start rewrites.
const KUBEADM = `apiVersion: v1
kind: Pod
metadata:
  annotations:
    kubeadm.kubernetes.io/etcd.advertise-client-urls: https://172.18.0.3:2379
  name: etcd
  namespace: kube-system
spec:
  containers:
  - command:
    - etcd
    - --advertise-client-urls=https://172.18.0.3:2379
    - --cert-file=/etc/kubernetes/pki/etcd/server.crt
    - --data-dir=/var/lib/etcd
    - --initial-cluster=n1=https://172.18.0.3:2380,n2=https://172.18.0.4:2380
    - --initial-cluster-state=existing
    - --name=n2
    image: k8s.gcr.io/etcd:3.5.30-0
    name: etcd
`;

describe('kind: the etcd static pod manifest of one start', () => {
  it('reads --flag value, --flag=value and bare flags, the last of a repeated one winning', () => {
    expect(flagMap(['--name', 'a', '--enable-v2=true', '--force-new-cluster', '--name', 'b'])).toEqual({
      name: 'b',
      'enable-v2': 'true',
      'force-new-cluster': 'true',
    });
    expect(() => flagMap(['name'])).toThrow(/not an etcd flag/);
  });

  it("overlays the start's flags on kubeadm's, keeping its certificates and /var/lib/etcd, and numbers the start", () => {
    const args = [
      '--name',
      'n2',
      '--data-dir',
      '/work/run/n2.data',
      '--initial-cluster-state',
      'new',
      '--force-new-cluster',
    ];
    const pod = parse(etcdManifest(KUBEADM, args, 3));
    const command: string[] = pod.spec.containers[0].command;
    expect(command[0]).toBe('etcd');
    expect(command).toContain('--data-dir=/var/lib/etcd');
    expect(command).toContain('--cert-file=/etc/kubernetes/pki/etcd/server.crt');
    expect(command).toContain('--initial-cluster-state=new');
    expect(command).toContain('--force-new-cluster=true');
    expect(command).not.toContain('--initial-cluster-state=existing');
    expect(pod.metadata.annotations['etcd-drill/start']).toBe('3');
    expect(pod.spec.containers[0].image).toBe('k8s.gcr.io/etcd:3.5.30-0');
  });

  it('refuses a manifest without an etcd command', () => {
    expect(() => etcdManifest('kind: Pod\nspec: {}\n', [], 1)).toThrow(/no etcd command/);
  });
});
