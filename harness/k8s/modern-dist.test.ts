import { describe, expect, it } from 'vitest';
import {
  cacheKey,
  k8sVersionFromBuildInfo,
  k8sVersionFromDebian,
  parseDependsRecurse,
  parseGoBuildInfo,
  parseShowVersions,
  pickGo,
  unprovidedDeps,
  vanished,
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
    libc6-dev
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
<golang-prometheus-client-dev>
`;

describe('apiextensions-apiserver build: package set', () => {
  it('keeps the Go source packages of the closure, each once, no virtual names and no C headers', () => {
    // libc6-dev is in the closure, but the build is CGO_ENABLED=0: it must not enter the download
    // or the cache key (its every sid upload would force a rebuild).
    expect(parseDependsRecurse(DEPENDS)).toEqual([
      'golang-github-prometheus-client-golang-dev',
      'golang-k8s-apiextensions-apiserver-dev',
      'golang-k8s-apimachinery-dev',
      'golang-k8s-apiserver-dev',
    ]);
    expect(parseDependsRecurse('golang-k8s-api-dev\nlibfoo-dev\nzlib1g-dev\ngolang-1.27-go\n')).toEqual([
      'golang-k8s-api-dev',
    ]);
    expect(parseDependsRecurse('')).toEqual([]);
  });

  it('names a -dev dependency nothing provides any more (a virtual name without providers)', () => {
    expect(unprovidedDeps(DEPENDS)).toEqual([]);
    const gone = DEPENDS.replace(
      '  Depends: <golang-prometheus-client-dev>\n    golang-github-prometheus-client-golang-dev\n',
      '  Depends: <golang-prometheus-client-dev>\n',
    );
    expect(unprovidedDeps(gone)).toEqual(['golang-prometheus-client-dev']);
    // The last dependency of the output.
    expect(unprovidedDeps(`${DEPENDS}x-dev\n  Depends: <golang-k8s-gone-dev>`)).toEqual([
      'golang-k8s-gone-dev',
    ]);
    // Not a Go source package: not the build's to judge.
    expect(unprovidedDeps('tzdata\n |Depends: <debconf-2.0>\n')).toEqual([]);
    expect(unprovidedDeps('golang-x-dev\n  Depends: <libc-dev>\n')).toEqual([]);
  });

  it('judges an alternative group as a whole: satisfied when any member exists', () => {
    // The first member gone, the second a real package: satisfied.
    expect(
      unprovidedDeps('golang-x-dev\n |Depends: <golang-a-dev>\n  Depends: golang-b-dev\ngolang-b-dev\n'),
    ).toEqual([]);
    // The first member a virtual name with a provider, the second gone: satisfied.
    expect(
      unprovidedDeps(
        'golang-x-dev\n |Depends: <golang-a-dev>\n    golang-a1-dev\n  Depends: <golang-b-dev>\ngolang-a1-dev\n',
      ),
    ).toEqual([]);
    // Every member gone: the group is named, and a hard dependency after it is judged alone.
    expect(
      unprovidedDeps(
        'golang-x-dev\n |Depends: <golang-a-dev>\n  Depends: <golang-b-dev>\n  Depends: golang-c-dev\ngolang-c-dev\n',
      ),
    ).toEqual(['golang-a-dev | golang-b-dev']);
    // A group of three at the end of the output.
    expect(
      unprovidedDeps(
        'golang-x-dev\n |Depends: <golang-a-dev>\n |Depends: <golang-b-dev>\n  Depends: golang-c-dev',
      ),
    ).toEqual([]);
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
    // Not a release: the placeholder of an unversioned module.
    expect(k8sVersionFromDebian('0.0.0')).toBeUndefined();
    expect(k8sVersionFromDebian('0.0.3-1')).toBeUndefined();
  });

  it('names the package apt could not find', () => {
    expect(vanishedPackage('E: Unable to locate package golang-k8s-kms-dev')).toBe('golang-k8s-kms-dev');
    expect(
      vanishedPackage("E: Can't find a source to download version '0.36.4-1' of 'golang-k8s-api-dev:amd64'"),
    ).toBe('golang-k8s-api-dev');
    expect(vanishedPackage("E: Version '0.36.4-1' for 'golang-k8s-api-dev' was not found")).toBe(
      'golang-k8s-api-dev',
    );
    // apt-cache depends names nothing: the caller knows what it asked.
    expect(vanishedPackage('E: No packages found')).toBeUndefined();
    expect(vanishedPackage('E: Failed to fetch http://deb.debian.org/… 404')).toBeUndefined();
  });

  it('a vanished package: the way out names the real newest cached build, or says there is none', () => {
    const root = '/home/u/.cache/etcd-drill/k8s-modern';
    const binDir = `${root}/a2635561dd0f5579/bin`;
    const some = vanished('golang-k8s-kms-dev', { root, newest: { binDir, version: '1.36.4' } });
    expect(some).toMatchObject({ code: 'ETCD_DIST', details: { package: 'golang-k8s-kms-dev' } });
    expect(some.message).toContain('no longer serves golang-k8s-kms-dev');
    expect(some.message).toContain(`newest cached build (1.36.4): --k8s-modern-bin-dir ${binDir}`);
    expect(some.message).not.toContain('<');
    const none = vanished('golang-k8s-kms-dev', { root, newest: undefined });
    expect(none.message).toContain(`no cached build exists in ${root}`);
    expect(none.message).toContain('--k8s-modern-bin-dir');
    expect(none.message).not.toContain('<');
  });
});

/** A binary's build information as Go >= 1.18 lays it out (inline strings), inside other bytes. */
function binaryWith(goVersion: string, modinfo: string, flags = 2): Buffer {
  const header = Buffer.alloc(32);
  header.write('\xff Go buildinf:', 0, 'latin1');
  header[14] = 8;
  header[15] = flags;
  const sentinel = Buffer.alloc(16, 0x30);
  const body = Buffer.concat([sentinel, Buffer.from(modinfo), sentinel]);
  const varint = (n: number) => {
    const out: number[] = [];
    for (let x = n; ; x = Math.floor(x / 128)) {
      if (x < 128) {
        out.push(x);
        return Buffer.from(out);
      }
      out.push((x % 128) | 0x80);
    }
  };
  return Buffer.concat([
    Buffer.from('ELF and code before it'),
    header,
    varint(goVersion.length),
    Buffer.from(goVersion),
    varint(body.length),
    body,
    Buffer.from('after'),
  ]);
}

describe('apiextensions-apiserver: the version it reports, from its Go build information', () => {
  const ours =
    'path\tk8s.io/apiextensions-apiserver\nbuild\t-buildmode=exe\nbuild\t-ldflags="-s -w -X k8s.io/component-base/version.gitVersion=v1.36.4 -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=36"\nbuild\tCGO_ENABLED=0\n'.padEnd(
      300,
      ' ',
    );
  it('reads the gitVersion stamped with -ldflags in a GOPATH build', () => {
    const info = parseGoBuildInfo(binaryWith('go1.27.3', ours));
    expect(info?.goVersion).toBe('1.27.3');
    expect(info?.path).toBe('k8s.io/apiextensions-apiserver');
    expect(info?.settings.get('CGO_ENABLED')).toBe('0');
    expect(info && k8sVersionFromBuildInfo(info)).toBe('1.36.4');
  });
  it('falls back to the component-base module of a module-mode build', () => {
    const mod =
      'path\tk8s.io/apiextensions-apiserver\nmod\tk8s.io/apiextensions-apiserver\t(devel)\t\ndep\tk8s.io/component-base\tv0.35.2\th1:x=\nbuild\t-trimpath=true\n';
    const info = parseGoBuildInfo(binaryWith('go1.25.1', mod));
    expect(info && k8sVersionFromBuildInfo(info)).toBe('1.35.2');
  });
  it('does not take a module at v0.0.0 (a replace to a checkout) for Kubernetes 1.0.0', () => {
    const unversioned =
      'path\tk8s.io/apiextensions-apiserver\nmod\tk8s.io/apiextensions-apiserver\tv0.0.0\t\ndep\tk8s.io/component-base\tv0.0.0\t\nbuild\t-trimpath=true\n';
    const info = parseGoBuildInfo(binaryWith('go1.26.1', unversioned));
    expect(info?.modules.get('k8s.io/component-base')).toBe('v0.0.0');
    expect(info && k8sVersionFromBuildInfo(info)).toBeUndefined();
    // component-base unversioned, the main module versioned: that one is the answer.
    const main = parseGoBuildInfo(
      binaryWith('go1.26.1', unversioned.replace('\tv0.0.0\t\ndep', '\tv0.36.2\t\ndep')),
    );
    expect(main && k8sVersionFromBuildInfo(main)).toBe('1.36.2');
  });
  it('gives nothing for -trimpath GOPATH builds, old layouts and non-Go files', () => {
    const trimmed = parseGoBuildInfo(
      binaryWith('go1.26.4', 'path\tgo.etcd.io/etcd/server\nbuild\t-trimpath=true\n'),
    );
    expect(trimmed?.path).toBe('go.etcd.io/etcd/server');
    expect(trimmed && k8sVersionFromBuildInfo(trimmed)).toBeUndefined();
    expect(parseGoBuildInfo(binaryWith('go1.15.15', ours, 0))).toBeUndefined();
    expect(parseGoBuildInfo(Buffer.from('#!/bin/sh\necho hi\n'))).toBeUndefined();
  });
});
