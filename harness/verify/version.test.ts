import { describe, expect, it } from 'vitest';
import { DEFAULT_ETCD_VERSION } from '../etcd/versions.ts';
import { chooseVersion } from './version.ts';

describe('chooseVersion', () => {
  it('--etcd wins', () =>
    expect(chooseVersion(['3.5.0'], '3.4.23')).toEqual({ version: '3.4.23', why: 'given' }));
  it("the recorded minor's newest provided version", () =>
    expect(chooseVersion(['3.5.0'])).toEqual({ version: '3.5.30', why: 'recorded' }));
  it('the default when nothing, several minors, or an unprovided minor is recorded', () => {
    for (const r of [[], ['3.4.0', '3.5.0'], ['3.6.0']])
      expect(chooseVersion(r)).toEqual({ version: DEFAULT_ETCD_VERSION, why: 'default' });
  });
});
