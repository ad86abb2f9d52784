import { describe, expect, it } from 'vitest';
import {
  compareVersions,
  KNOWN_VERSIONS,
  parseAptSourceUris,
  parseEtcdVersionOutput,
  parseVersion,
  pickDebianVersion,
} from './versions.ts';

describe('version parsing', () => {
  it('parses and orders versions numerically', () => {
    expect(parseVersion('v3.5.30')).toEqual([3, 5, 30]);
    expect(parseVersion('3.5')).toBeUndefined();
    expect(compareVersions('3.5.9', '3.5.30')).toBeLessThan(0);
    expect(compareVersions('3.4.23', '3.3.25')).toBeGreaterThan(0);
    expect(() => compareVersions('x', '3.4.0')).toThrow(/not a version/);
  });
  it('reads `etcd --version` output of 3.3 and 3.5', () => {
    expect(
      parseEtcdVersionOutput('etcd Version: 3.3.25\nGit SHA: Not provided\nGo Version: go1.15.9\n'),
    ).toBe('3.3.25');
    expect(parseEtcdVersionOutput('etcd Version: 3.5.30\nGit SHA: abc\nGo OS/Arch: linux/amd64')).toBe(
      '3.5.30',
    );
    expect(parseEtcdVersionOutput('something else')).toBeUndefined();
  });
  it('knows the four versions the issue names, each from a Debian suite', () => {
    expect(KNOWN_VERSIONS.map((k) => k.version)).toEqual(['3.3.25', '3.4.23', '3.5.16', '3.5.30']);
  });
});

describe('Debian metadata', () => {
  const madison = [
    'etcd-server |   3.5.30-2 | http://deb.debian.org/debian sid/main amd64 Packages',
    'etcd-server |   3.5.16-4 | http://deb.debian.org/debian trixie/main amd64 Packages',
    'etcd-server | 3.4.23-4+b4 | http://deb.debian.org/debian bookworm/main amd64 Packages',
    'etcd-server | 3.3.25+dfsg-6+b6 | http://deb.debian.org/debian bullseye/main amd64 Packages',
  ].join('\n');
  it('picks the package version whose upstream part and suite match', () => {
    expect(pickDebianVersion(madison, '3.3.25', 'bullseye')).toBe('3.3.25+dfsg-6+b6');
    expect(pickDebianVersion(madison, '3.4.23', 'bookworm')).toBe('3.4.23-4+b4');
    expect(pickDebianVersion(madison, '3.5.30', 'sid')).toBe('3.5.30-2');
    expect(pickDebianVersion(madison, '3.5.30', 'trixie')).toBeUndefined();
  });
  it('reads the main mirror from deb822 and one-line sources, skipping security and others', () => {
    const deb822 =
      'Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm\n\nTypes: deb\nURIs: http://mirror.example/debian-security\n';
    const oneLine =
      'deb [arch=amd64] http://other.example/debian/ bookworm main\ndeb https://packages.cloud.google.com/apt x main';
    expect(parseAptSourceUris([deb822, oneLine])).toEqual([
      'http://mirror.example/debian',
      'http://other.example/debian/',
    ]);
  });
});
