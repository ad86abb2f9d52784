import type { Cluster } from '../cluster/types.ts';
import type { EtcdDist } from '../etcd/dist.ts';
import type { StrategyNotes } from '../result.ts';

export type Support = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** What a backup produced: files on the harness's side, with figures for the report. */
export interface BackupArtifact {
  readonly files: readonly string[];
  readonly sha256: string;
  readonly bytes: number;
  /** v3 revision the backup holds, when the tool says. */
  readonly revision?: number;
}

/** Lets a strategy time its own sub-steps and leave typed observations for the checks and the report. */
export interface Recorder {
  step<T>(title: string, fn: () => Promise<T>): Promise<T>;
  note<K extends keyof StrategyNotes>(key: K, value: NonNullable<StrategyNotes[K]>): void;
}

/** A backup-and-restore procedure. The disaster between the two (stop, data dirs aside) is the runner's. */
export interface Strategy {
  /** Registry key used by scenario files. */
  readonly name: string;
  readonly title: string;
  /** Version gating lives with the strategy, not in ifs in the runner. */
  supports(dist: EtcdDist): Promise<Support>;
  /**
   * How the restore rebuilds membership: 'member-add' (one member restored, the others added one by one:
   * the peer URL, member update and member add checks apply) or 'all-members' (etcd's guide).
   */
  readonly rebuild: 'member-add' | 'all-members';
  backup(cluster: Cluster, rec: Recorder): Promise<BackupArtifact>;
  /** Brings `cluster` back from the artifact; every member is stopped with an empty data dir on entry. */
  restore(artifact: BackupArtifact, cluster: Cluster, rec: Recorder): Promise<void>;
}
