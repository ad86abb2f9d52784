import type { summarizeDiff } from '../checks/diff.ts';
import type { StepResult } from '../result.ts';
import type { SnapshotStatus } from '../strategies/common.ts';
import type { Contents } from './contents.ts';
import type { TrailerCheck } from './integrity.ts';

/** restorable: exit 0; damaged (integrity or etcd refused the file) and not-restorable: exit 1. */
export type VerifyVerdict = 'restorable' | 'damaged' | 'not-restorable';

export type BackupKind = 'v3-snapshot' | 'v2-backup-dir';

/** What verify.json holds. */
export interface VerifyResult {
  readonly schemaVersion: 1;
  readonly id: string;
  readonly tool: { readonly name: 'etcd-drill'; readonly version: string };
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly input: { readonly path: string; readonly kind: BackupKind; readonly bytes: number };
  readonly verdict: VerifyVerdict;
  /** Why, in one line; etcd's own words when etcd refused. */
  readonly reason?: string;
  readonly exitCode: 0 | 1;
  readonly integrity: Integrity;
  readonly restore?: RestoreReport;
  readonly contents?: Contents;
  /** now minus the newest readable object time: the backup is at least this old. */
  readonly backupAgeSeconds?: number;
  readonly v2?: V2Contents;
  readonly against?: { readonly endpoints: readonly string[] } & ReturnType<typeof summarizeDiff>;
}

export interface Integrity {
  /** Absent for a v2 backup dir (its db was never a `snapshot save` output). */
  readonly sha256Trailer?: TrailerCheck;
  /** `snapshot status` of the file (of member/snap/db in a v2 backup dir), or its words refusing it. */
  readonly status?:
    | { readonly ok: true; readonly tool: string; readonly figures: SnapshotStatus }
    | { readonly ok: false; readonly tool: string; readonly words: string };
  /** bbolt's page walk: what ran it, or why no separate check ran. */
  readonly structure: string;
  /** Cluster versions the db's cluster bucket holds ("not recorded" when none). */
  readonly recordedClusterVersion: string;
}

export interface RestoreReport {
  readonly etcd: string;
  readonly etcdOrigin: string;
  /** given (--etcd), recorded (the newest provided etcd of the db's recorded version) or default. */
  readonly etcdChosen: 'given' | 'recorded' | 'default';
  readonly provider: string;
  readonly members: number;
  readonly how: string;
  readonly ok: boolean;
  readonly steps: readonly StepResult[];
  readonly revision?: number;
  readonly compactRevision?: number;
  readonly leases?: number;
}

export interface V2Contents {
  readonly nodes: number;
  readonly directories: number;
  readonly values: number;
  /** Nodes per first two path segments (/coreos.com/network). */
  readonly byPrefix: Record<string, number>;
}
