import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { HarnessError } from '../errors.ts';
import { runTool } from '../etcd/ctl.ts';
import type { EtcdDist } from '../etcd/dist.ts';
import {
  checkTrailer,
  recordedVersions,
  snapshotStatusOf,
  type TrailerCheck,
  toolWords,
} from './integrity.ts';
import type { BackupKind, Integrity } from './types.ts';

export const NO_BBOLT_CLI =
  'no standalone bbolt tool here (Debian packages bbolt only as a Go library, golang-github-coreos-bbolt-dev), so no separate check ran';

export interface IntegrityOutcome {
  readonly integrity: Integrity;
  readonly bytes: number;
  /** Set when the file is damaged: why, with etcd's words where it said anything. */
  readonly damaged?: string;
  /**
   * Why the restores get --skip-hash-check, if they do: a db without a trailer (copied from a data
   * dir) restores only so, and a trailer this step matched needs no second sha256 pass per member.
   */
  readonly skipHashCheck?: string;
}

function recorded(versions: readonly string[]): string {
  return versions.length ? versions.join(', ') : 'not recorded';
}

/**
 * etcd's words on a file whose trailer does not match: its own restore, offline, into a scratch
 * folder of the run (removed with it). bbolt's page walk may pass a flipped value; the hash does not.
 */
async function restoreWords(dist: EtcdDist, file: string, scratch: string, signal?: AbortSignal) {
  const args = ['snapshot', 'restore', file, '--data-dir', join(scratch, 'integrity-restore')];
  try {
    await runTool(dist.etcdutl ?? dist.etcdctl, args, {
      timeoutMs: 30 * 60_000,
      ...(signal ? { signal } : {}),
    });
    return 'etcd restored it anyway';
  } catch (err) {
    const d = err instanceof HarnessError ? err.details : undefined;
    if (typeof d?.exitCode === 'number') return toolWords(String(d.stderr ?? ''));
    throw err;
  }
}

export interface Scanned {
  /** The bbolt file looked at: the snapshot, or member/snap/db of a v2 backup dir. */
  readonly db: string;
  readonly clusterVersions: string[];
}

/** The recorded cluster versions, to choose etcd by; undefined for a v2 backup dir without a db. */
export async function scanBackup(kind: BackupKind, path: string): Promise<Scanned | undefined> {
  const db = kind === 'v3-snapshot' ? path : join(path, 'member', 'snap', 'db');
  // A v2-only backup (3.3/3.4 `etcdctl backup` without --with-v3) has no db to look at.
  return existsSync(db) ? { db, clusterVersions: await recordedVersions(db) } : undefined;
}

/** etcd's restore checks the same sha256 as checkTrailer: once is enough (~2.3 s of a core per member at 1.2 GB). */
function skipWhy(trailer: TrailerCheck | undefined): { skipHashCheck?: string } {
  if (!trailer) return {};
  if (!trailer.present) return { skipHashCheck: 'the file has no sha256 trailer' };
  return trailer.ok
    ? { skipHashCheck: 'its sha256 trailer matched in the integrity check, the check etcd’s restore makes' }
    : {};
}

/** Integrity before any member starts: trailer, `snapshot status` (with bbolt's page walk), recorded version. */
export async function checkIntegrity(
  kind: BackupKind,
  scanned: Scanned | undefined,
  dist: EtcdDist,
  scratch: string,
  signal?: AbortSignal,
): Promise<IntegrityOutcome> {
  if (!scanned) {
    const integrity = {
      structure: 'no member/snap/db in the backup dir: nothing to check',
      recordedClusterVersion: 'not recorded',
    };
    return { integrity, bytes: 0 };
  }
  const { db, clusterVersions } = scanned;
  // Two passes over the file at once, on the two cores: our sha256, etcd's page walk.
  const [scan, st] = await Promise.all([
    kind === 'v3-snapshot' ? checkTrailer(db) : stat(db).then((f) => ({ bytes: f.size, trailer: undefined })),
    snapshotStatusOf(dist, db, signal),
  ]);
  const how = `bbolt's consistency check (Tx.Check) inside \`${st.tool} snapshot status\``;
  const integrity: Integrity = {
    ...(scan.trailer ? { sha256Trailer: scan.trailer } : {}),
    status: st.ok
      ? { ok: true, tool: st.tool, figures: st.status }
      : { ok: false, tool: st.tool, words: st.words },
    structure: `${how}: ${st.ok ? 'passed' : 'failed'}; ${NO_BBOLT_CLI}`,
    recordedClusterVersion: recorded(clusterVersions),
  };
  const base = { integrity, bytes: scan.bytes, ...skipWhy(scan.trailer) };
  if (!st.ok) return { ...base, damaged: `${st.tool} snapshot status refused it: ${st.words}` };
  if (scan.trailer?.present && !scan.trailer.ok) {
    const words = await restoreWords(dist, db, scratch, signal);
    return {
      ...base,
      damaged: `its sha256 trailer does not match its content; ${st.tool} snapshot restore: ${words}`,
    };
  }
  return base;
}
