import { describe, expect, it } from 'vitest';
import { lastWord } from './klog.ts';

describe('lastWord', () => {
  it('finds the klog fatal line above a goroutine dump', () => {
    const log = [
      'I1124 06:07:42.180484    9519 leaderelection.go:243] attempting to acquire leader lease',
      'E1124 06:08:01.960366    9519 leaderelection.go:325] error retrieving resource lock kube-system/kube-controller-manager: timeout',
      'F1124 06:08:01.960585    9519 controllermanager.go:294] leaderelection lost',
      'goroutine 1 [running]:',
      ...Array.from({ length: 50 }, (_, i) => `\t/src/k8s.io/x.go:${i} +0x30f`),
    ].join('\n');
    expect(lastWord(log)).toBe('leaderelection lost');
  });
  it('falls back to the last error, then to the last line', () => {
    expect(
      lastWord('E1124 06:08:01.960366    9519 x.go:1] etcd unreachable\nI1124 06:08:02.0 1 y.go:2] bye\n'),
    ).toBe('etcd unreachable');
    expect(lastWord('Error: unknown flag: --bogus\n\n')).toBe('Error: unknown flag: --bogus');
    expect(lastWord('')).toBe('');
  });
});
