import { describe, expect, it } from 'vitest';
import { parseDscVersion, parseGoVersionOutput, parseK8sVersionOutput } from './dist.ts';

describe('Kubernetes binaries: output parsing', () => {
  it('reads `kube-* --version` of a Debian build and of other releases', () => {
    expect(parseK8sVersionOutput('Kubernetes v1.20.2\n')).toBe('1.20.2');
    expect(parseK8sVersionOutput('Kubernetes v1.29.0-rc.1')).toBe('1.29.0-rc.1');
    expect(parseK8sVersionOutput('Kubernetes v1.20.2-dirty\n')).toBe('1.20.2-dirty');
    expect(parseK8sVersionOutput('Kubernetes v1.30.1+k3s1')).toBe('1.30.1+k3s1');
  });
  it('reads kubeadm and kubectl, which have no --version (kind node binaries)', () => {
    expect(parseK8sVersionOutput('v1.20.2\n')).toBe('1.20.2');
    expect(parseK8sVersionOutput('Client Version: v1.20.2\n')).toBe('1.20.2');
    expect(parseK8sVersionOutput('Server Version: v1.20.2\n')).toBeUndefined();
  });
  it('refuses output that is not a Kubernetes version line', () => {
    expect(parseK8sVersionOutput('')).toBeUndefined();
    expect(parseK8sVersionOutput('etcd Version: 3.4.23')).toBeUndefined();
    expect(parseK8sVersionOutput('Kubernetes v0.0.0-master+$Format:%h$')).toBeUndefined();
    expect(parseK8sVersionOutput('Error: unknown flag: --version')).toBeUndefined();
  });
  it('reads `go version` and the Version field of a .dsc', () => {
    expect(parseGoVersionOutput('go version go1.15.15 linux/amd64\n')).toBe('1.15.15');
    expect(parseGoVersionOutput('go version go1.19 linux/amd64')).toBe('1.19');
    expect(parseGoVersionOutput('bash: go: command not found')).toBeUndefined();
    const dsc = [
      '-----BEGIN PGP SIGNED MESSAGE-----',
      'Hash: SHA512',
      '',
      'Format: 3.0 (quilt)',
      'Source: kubernetes',
      'Binary: kubernetes-client',
      'Version: 1.20.5+really1.20.2-1.1+deb12u1',
      'Maintainer: Debian Go Packaging Team',
    ].join('\n');
    expect(parseDscVersion(dsc)).toBe('1.20.5+really1.20.2-1.1+deb12u1');
    expect(parseDscVersion('Format: 3.0 (quilt)\n')).toBeUndefined();
  });
});
