import { compareVersions, DEFAULT_ETCD_VERSION, KNOWN_VERSIONS, parseVersion } from '../etcd/versions.ts';

export interface VersionChoice {
  readonly version: string | undefined;
  /** given: --etcd (or --etcd-bin-dir); recorded: the db's cluster version; default: neither said. */
  readonly why: 'given' | 'recorded' | 'default';
}

/**
 * Which etcd restores the file: the one asked for, else the newest the harness provides of the minor
 * version the db records (etcd records 3.5.0 for any 3.5.x), else the default.
 */
export function chooseVersion(recorded: readonly string[], given?: string): VersionChoice {
  if (given) return { version: given, why: 'given' };
  const minors = new Set(recorded.map((v) => parseVersion(v)?.slice(0, 2).join('.')));
  const [minor] = minors;
  if (minors.size === 1 && minor) {
    const same = KNOWN_VERSIONS.map((k) => k.version)
      .filter((v) => parseVersion(v)?.slice(0, 2).join('.') === minor)
      .sort(compareVersions);
    const newest = same.at(-1);
    if (newest) return { version: newest, why: 'recorded' };
  }
  return { version: DEFAULT_ETCD_VERSION, why: 'default' };
}
