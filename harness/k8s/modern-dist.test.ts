import { describe, expect, it } from 'vitest';
import {
  cacheKey,
  k8sVersionFromDebian,
  parseDependsRecurse,
  parseShowVersions,
  pickGo,
  vanishedPackage,
} from './modern-dist.ts';

// Trimmed from `apt-cache depends --recurse --no-recommends … golang-k8s-apiextensions-apiserver-dev` on sid.
const DEPENDS = `golang-k8s-apiextensions-apiserver-dev
  Depends: golang-k8s-apiserver-dev
  Depends: <golang-prometheus-client-dev>
    golang-github-prometheus-client-golang-dev
golang-k8s-apiserver-dev
  Depends: golang-k8s-apimachinery-dev
 |Depends: libc6-dev
  Depends: <libc-dev>
golang-github-prometheus-client-golang-dev
  Depends: golang-any
golang-k8s-apimachinery-dev
golang-any
  Depends: golang-go
golang-go
  Depends: golang-1.27-go
golang-1.27-go
  Depends: golang-1.27-src
golang-1.27-src
libc6-dev
<libc-dev>
  libc6-dev
<golang-prometheus-client-dev>
  golang-github-prometheus-client-golang-dev
`;

describe('apiextensions-apiserver build: package set', () => {
  it('keeps the -dev packages of the closure, each once, and no virtual names', () => {
    expect(parseDependsRecurse(DEPENDS)).toEqual([
      'golang-github-prometheus-client-golang-dev',
      'golang-k8s-apiextensions-apiserver-dev',
      'golang-k8s-apimachinery-dev',
      'golang-k8s-apiserver-dev',
      'libc6-dev',
    ]);
    expect(parseDependsRecurse('')).toEqual([]);
  });

  it('takes the Go the closure reaches, else the newest sid serves, never below 1.26', () => {
    expect(pickGo(['golang-1.27-go', 'golang-1.26-go'], [])).toMatchObject({
      go: 'golang-1.27-go',
      minor: 27,
    });
    expect(pickGo(['golang-k8s-api-dev'], ['golang-1.24-go', 'golang-1.26-go', 'golang-1.26-src'])).toEqual({
      go: 'golang-1.26-go',
      src: 'golang-1.26-src',
      minor: 26,
    });
    expect(pickGo(['golang-1.22-go'], ['golang-1.26-go'])?.minor).toBe(26);
    expect(pickGo([], ['golang-1.24-go', 'golang-1.26-gox'])).toBeUndefined();
  });

  it('reads name and version of each stanza of apt-cache show', () => {
    const out =
      'Package: golang-k8s-apiserver-dev\nSource: golang-k8s-apiserver\nVersion: 0.36.4-2\nSize: 1\n\nPackage: golang-1.27-go\nVersion: 1.27.3-1\n';
    expect(parseShowVersions(out)).toEqual([
      { name: 'golang-1.27-go', version: '1.27.3-1' },
      { name: 'golang-k8s-apiserver-dev', version: '0.36.4-2' },
    ]);
  });
});

describe('apiextensions-apiserver build: cache key and versions', () => {
  const a = { name: 'golang-k8s-apiserver-dev', version: '0.36.4-2' };
  const b = { name: 'golang-1.26-go', version: '1.26.10-1' };
  it('depends on every exact version, not on the order', () => {
    expect(cacheKey([a, b])).toBe(cacheKey([b, a]));
    expect(cacheKey([a, b])).toMatch(/^[0-9a-f]{16}$/);
    expect(cacheKey([a, { ...b, version: '1.26.10-2' }])).not.toBe(cacheKey([a, b]));
    expect(cacheKey([a])).not.toBe(cacheKey([a, b]));
  });

  it('turns the Debian version of the Go libraries into the Kubernetes version', () => {
    expect(k8sVersionFromDebian('0.36.4-2')).toBe('1.36.4');
    expect(k8sVersionFromDebian('1:0.36.4+ds-1~exp1')).toBe('1.36.4');
    expect(k8sVersionFromDebian('0.36.10-1')).toBe('1.36.10');
    expect(k8sVersionFromDebian('1.36.4-1')).toBeUndefined();
    expect(k8sVersionFromDebian('garbage')).toBeUndefined();
  });

  it('names the package apt could not find', () => {
    expect(vanishedPackage('E: Unable to locate package golang-k8s-kms-dev')).toBe('golang-k8s-kms-dev');
    expect(
      vanishedPackage("E: Can't find a source to download version '0.36.4-1' of 'golang-k8s-api-dev:amd64'"),
    ).toBe('golang-k8s-api-dev');
    expect(vanishedPackage("E: Version '0.36.4-1' for 'golang-k8s-api-dev' was not found")).toBe(
      'golang-k8s-api-dev',
    );
    expect(vanishedPackage('E: Failed to fetch http://deb.debian.org/… 404')).toBeUndefined();
  });
});
