/**
 * The etcd versions etcd-drill can fetch by itself, and where each comes from.
 * Debian suites are the source that works offline-from-GitHub machines (ENVIRONMENT.md);
 * a version bump is a one-line change here.
 */
export interface KnownVersion {
  readonly version: string;
  /** Debian suite whose etcd-server/etcd-client packages carry this upstream version. */
  readonly debianSuite: string;
}

export const KNOWN_VERSIONS: readonly KnownVersion[] = [
  { version: '3.3.25', debianSuite: 'bullseye' },
  { version: '3.4.23', debianSuite: 'bookworm' },
  { version: '3.5.16', debianSuite: 'trixie' },
  { version: '3.5.30', debianSuite: 'sid' },
];

export const DEFAULT_ETCD_VERSION = '3.4.23';

export function knownVersion(version: string): KnownVersion | undefined {
  return KNOWN_VERSIONS.find((k) => k.version === version);
}

const SEMVER = /^(\d+)\.(\d+)\.(\d+)$/;

export function parseVersion(v: string): [number, number, number] | undefined {
  const m = SEMVER.exec(v.trim().replace(/^v/, ''));
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

export function compareVersions(a: string, b: string): number {
  const pa = parseVersion(a);
  const pb = parseVersion(b);
  if (!pa || !pb) throw new Error(`not a version: ${!pa ? a : b}`);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** `etcd --version` prints "etcd Version: 3.4.23" (3.3 to 3.5 alike). */
export function parseEtcdVersionOutput(out: string): string | undefined {
  return /etcd Version:\s*v?(\d+\.\d+\.\d+)/.exec(out)?.[1];
}

/** Picks the Debian package version (e.g. 3.3.25+dfsg-6+b6) whose upstream part is `version`. */
export function pickDebianVersion(madison: string, version: string, suite: string): string | undefined {
  for (const line of madison.split('\n')) {
    const cols = line.split('|').map((c) => c.trim());
    if (cols.length < 3) continue;
    const [, debVersion, origin] = cols;
    if (!debVersion || !origin) continue;
    const upstream = debVersion.replace(/^\d+:/, '').split(/[-+~]/)[0];
    if (upstream === version && origin.split(/\s+/).some((w) => w === suite || w.startsWith(`${suite}/`))) {
      return debVersion;
    }
  }
  return undefined;
}

/** The Debian mirror URIs configured on this machine, read from deb822 and one-line sources. */
export function parseAptSourceUris(files: readonly string[]): string[] {
  const uris: string[] = [];
  for (const text of files) {
    for (const line of text.split('\n')) {
      const t = line.trim();
      const deb822 = /^URIs:\s*(.+)$/i.exec(t);
      if (deb822?.[1]) uris.push(...deb822[1].split(/\s+/));
      const oneLine = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s/.exec(t);
      if (oneLine?.[1]) uris.push(oneLine[1]);
    }
  }
  // The main archive, not the security one (which carries no etcd).
  return [...new Set(uris)].filter((u) => /\/debian\/?$/.test(u));
}
