import { HarnessError } from './errors.ts';
import type { EtcdSource } from './etcd/dist.ts';
import { knownVersion, parseVersion } from './etcd/versions.ts';

/**
 * Cross-version drills: the backup taken with etcd A, the restore done with B's tools and the
 * cluster run on B. A pair is written `A:B` on the command line, in cell ids (`s5@3.4.23:3.5.16`)
 * and as a scenario file's byVersion key; a one-version drill keeps its plain version.
 */
export interface VersionPair {
  readonly backup: string;
  readonly restore: string;
}

export const PAIR_SEPARATOR = ':';
const PAIR_SHAPE = 'A:B with two versions, e.g. 3.4.23:3.5.16';

/** `A:B` as the key a result, a cell and an expectation are found by. */
export const pairKey = (p: VersionPair): string => `${p.backup}${PAIR_SEPARATOR}${p.restore}`;

/** The version key of one drill: its version, or `A:B` when another version restored it. */
export function versionKey(r: {
  readonly etcd: { readonly version: string };
  readonly restoreEtcd?: { readonly version: string } | undefined;
}): string {
  return r.restoreEtcd ? pairKey({ backup: r.etcd.version, restore: r.restoreEtcd.version }) : r.etcd.version;
}

/**
 * The key a drill's expectations are found and recorded under: its version key, and on kind the
 * deployment too (3.5.30@kind), since a kubeadm cluster's etcd is not the processes' or containers'.
 */
export function expectationKey(r: Parameters<typeof versionKey>[0] & { readonly provider: string }): string {
  return r.provider === 'kind' ? `${versionKey(r)}@kind` : versionKey(r);
}

/** How reports show a version key: `3.4.23 → 3.5.16` for a pair. */
export const versionLabel = (key: string): string => key.split(PAIR_SEPARATOR).join(' → ');

export const isPairKey = (key: string): boolean => key.includes(PAIR_SEPARATOR);

/** A known version (or any x.y.z from GitHub); bad input otherwise, naming the flag. */
function checkVersion(v: string, flag: string, source: EtcdSource): void {
  const ok = parseVersion(v) !== undefined && (source === 'github' || knownVersion(v) !== undefined);
  if (ok) return;
  const known = ['3.3.25', '3.4.23', '3.5.16', '3.5.30'].filter((k) => knownVersion(k)).join(', ');
  throw new HarnessError(
    'BAD_INPUT',
    `${flag}: unknown etcd version "${v}": use one of ${known} (or --etcd-source github for another release)`,
  );
}

/** One `A:B`; bad input (one line naming the flag and the shape) when it is not one. */
export function parsePair(text: string, flag: string, source: EtcdSource = 'debian'): VersionPair {
  const parts = text.trim().split(PAIR_SEPARATOR);
  const [backup, restore] = parts.map((p) => p.trim());
  if (parts.length !== 2 || !backup || !restore)
    throw new HarnessError('BAD_INPUT', `${flag}: "${text}" is not a version pair: write ${PAIR_SHAPE}`);
  checkVersion(backup, flag, source);
  checkVersion(restore, flag, source);
  if (backup === restore)
    throw new HarnessError(
      'BAD_INPUT',
      `${flag}: ${text} names one version twice: a pair restores with another version (for one version use --etcd)`,
    );
  return { backup, restore };
}

/** `A:B,C:D`: every pair, each once. */
export function parsePairs(text: string, flag = '--pairs', source: EtcdSource = 'debian'): VersionPair[] {
  const items = text.split(',').filter((s) => s.trim() !== '');
  if (items.length === 0) throw new HarnessError('BAD_INPUT', `${flag}: no pair given: write ${PAIR_SHAPE}`);
  const pairs = items.map((t) => parsePair(t, flag, source));
  const keys = pairs.map(pairKey);
  const twice = keys.find((k, i) => keys.indexOf(k) !== i);
  if (twice) throw new HarnessError('BAD_INPUT', `${flag}: ${twice} is given twice: give each pair once`);
  return pairs;
}
