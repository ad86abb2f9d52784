import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { HarnessError } from '../errors.ts';
import { runTool } from '../etcd/ctl.ts';
import type { EtcdDist } from '../etcd/dist.ts';
import { scanSnapshot, snapshotStatusOf, toolWords } from './integrity.ts';
import type { BackupKind, Integrity } from './types.ts';

export const NO_BBOLT_CLI =
  'no standalone bbolt tool here (Debian packages bbolt only as a Go library, golang-github-coreos-bbolt-dev), so no separate check ran';

export interface IntegrityOutcome {
  readonly integrity: Integrity;
  readonly bytes: number;
  /** Set when the file is damaged: why, with etcd's words where it said anything. */
  readonly damaged?: string;
  /** A db without a trailer (copied from a data dir) restores only with --skip-hash-check. */
  readonly skipHashCheck: boolean;
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
  readonly scan: Awaited<ReturnType<typeof scanSnapshot>>;
}

/** Reads the file once (trailer, recorded version); undefined for a v2 backup dir without a db. */
export async function scanBackup(kind: BackupKind, path: string): Promise<Scanned | undefined> {
  const db = kind === 'v3-snapshot' ? path : join(path, 'member', 'snap', 'db');
  // A v2-only backup (3.3/3.4 `etcdctl backup` without --with-v3) has no db to look at.
  return existsSync(db) ? { db, scan: await scanSnapshot(db) } : undefined;
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
    return { integrity, bytes: 0, skipHashCheck: false };
  }
  const { db, scan } = scanned;
  const st = await snapshotStatusOf(dist, db, signal);
  const how = `bbolt's consistency check (Tx.Check) inside \`${st.tool} snapshot status\``;
  const integrity: Integrity = {
    ...(kind === 'v3-snapshot' ? { sha256Trailer: scan.trailer } : {}),
    status: st.ok
      ? { ok: true, tool: st.tool, figures: st.status }
      : { ok: false, tool: st.tool, words: st.words },
    structure: `${how}: ${st.ok ? 'passed' : 'failed'}; ${NO_BBOLT_CLI}`,
    recordedClusterVersion: recorded(scan.clusterVersions),
  };
  const base = {
    integrity,
    bytes: scan.bytes,
    skipHashCheck: kind === 'v3-snapshot' && !scan.trailer.present,
  };
  if (!st.ok) return { ...base, damaged: `${st.tool} snapshot status refused it: ${st.words}` };
  if (kind === 'v3-snapshot' && scan.trailer.present && !scan.trailer.ok) {
    const words = await restoreWords(dist, db, scratch, signal);
    return {
      ...base,
      damaged: `its sha256 trailer does not match its content; ${st.tool} snapshot restore: ${words}`,
    };
  }
  return base;
}
