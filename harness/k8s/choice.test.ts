import { describe, expect, it } from 'vitest';
import { checkK8sFlags, k8sVersionOf } from './choice.ts';

describe('--k8s [version]', () => {
  it('bare --k8s and 1.20 are the 1.20 control plane; 1.36 and modern the storage layer', () => {
    expect(k8sVersionOf(undefined)).toBeUndefined();
    expect(k8sVersionOf(true)).toBe('1.20');
    expect(k8sVersionOf('1.20')).toBe('1.20');
    expect(k8sVersionOf('1.36')).toBe('1.36');
    expect(k8sVersionOf('modern')).toBe('1.36');
  });
  it('refuses any other value in one line naming the accepted ones', () => {
    for (const bad of ['1.30', '', 'latest', '1.36.4']) {
      expect(() => k8sVersionOf(bad)).toThrow(/^--k8s ".*" is not a version .*1\.20.*1\.36 \(alias modern/);
    }
  });
  it('binds --k8s-bin-dir and --k8s-short-leases to 1.20, --k8s-modern-bin-dir to 1.36', () => {
    expect(checkK8sFlags({ k8s: true, k8sBinDir: '/b', k8sShortLeases: true })).toBe('1.20');
    expect(checkK8sFlags({ k8s: 'modern', k8sModernBinDir: '/m' })).toBe('1.36');
    expect(() => checkK8sFlags({ k8s: '1.36', k8sBinDir: '/b' })).toThrow(
      '--k8s-bin-dir goes with --k8s (1.20), not --k8s 1.36: drop it',
    );
    expect(() => checkK8sFlags({ k8s: '1.36', k8sShortLeases: true })).toThrow(
      /--k8s-short-leases goes with/,
    );
    expect(() => checkK8sFlags({ k8s: true, k8sModernBinDir: '/m' })).toThrow(
      '--k8s-modern-bin-dir goes with --k8s 1.36, not --k8s 1.20: drop it',
    );
    expect(() => checkK8sFlags({ k8sShortLeases: true })).toThrow(
      /^--k8s-short-leases only means something with --k8s/,
    );
    expect(() => checkK8sFlags({ k8sModernBinDir: '/m' })).toThrow(/with --k8s 1\.36: add it/);
  });
});
