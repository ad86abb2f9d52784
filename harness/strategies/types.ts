import type { RestoreTarget } from '../checks/provenance.ts';
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

/**
 * A backup-and-restore procedure. The disaster between the two is the faults' (by default every
 * member lost with its data dir; quorum-loss and power-loss leave data dirs behind).
 */
export interface Strategy {
  /** Registry key used by scenario files. */
  readonly name: string;
  readonly title: string;
  /** Version gating lives with the strategy, not in ifs in the runner. */
  supports(dist: EtcdDist): Promise<Support>;
  /**
   * Cross-version drills: what the backup steps need of version A and the restore steps of version B.
   * Each defaults to supports(), i.e. the whole procedure on that version.
   */
  supportsBackup?(dist: EtcdDist): Promise<Support>;
  supportsRestore?(dist: EtcdDist): Promise<Support>;
  /**
   * How the restore rebuilds membership: 'member-add' (one member restored, the others added one by one:
   * the peer URL, member update and member add checks apply), 'all-members' (etcd's guide),
   * 'replace-member' (dead members removed and added back, the survivors untouched: member add applies)
   * 'in-place' (every member restarted on its own data dir) or 'opaque' (a runbook's script: the
   * harness sees only its result, so the checks of how it rebuilt do not apply).
   */
  readonly rebuild: 'member-add' | 'all-members' | 'replace-member' | 'in-place' | 'opaque';
  /**
   * What the restored data should equal: the backup point (a restore from the backup; the default) or
   * the cluster just before the disaster (a procedure that keeps surviving data and needs no backup).
   */
  readonly restoresTo?: RestoreTarget;
  /**
   * The APIs the procedure claims to restore: data lost from another is reported, not held against
   * it in the procedure grade. @default every API the drill seeds
   */
  readonly restores?: readonly ('v2' | 'v3')[];
  /** Members are units configured by env files (a runbook drives them): see ClusterSpec.envFiles. */
  readonly memberUnits?: boolean;
  backup(cluster: Cluster, rec: Recorder): Promise<BackupArtifact>;
  /**
   * Brings `cluster` back. Restore strategies find every member stopped, some data dirs perhaps
   * surviving (quorum-loss, power-loss): they replace them as their procedure says (dataDirForRestore).
   */
  restore(artifact: BackupArtifact, cluster: Cluster, rec: Recorder): Promise<void>;
}
