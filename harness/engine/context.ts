import type { Cluster, Provider } from '../cluster/types.ts';
import type { RunContext } from '../context.ts';
import type { EtcdDist } from '../etcd/dist.ts';
import type { Logger } from '../log.ts';
import type { DataPoint, KeyFilter } from '../observe/cluster.ts';
import type { RunningLoad } from '../observe/load.ts';
import type { FaultRecord, Observations, StepResult } from '../result.ts';
import type { Scenario } from '../scenario.ts';
import type { Scope } from '../scope.ts';
import type { BackupArtifact, Recorder, Strategy, Support } from '../strategies/types.ts';
import type { Extension } from './extension.ts';
import type { Phase } from './phases.ts';

/** What a caller may change about one drill (the CLI's flags, test hooks). */
export interface DrillOptions {
  /** v3 key count; overrides the scenario's. */
  readonly objects?: number;
  readonly basePort?: number;
  /** Overrides the scenario's cluster.tls. */
  readonly tls?: boolean;
  /** Leave the restored cluster running (only when the run got that far). */
  readonly keep?: boolean;
  /** Where member and component logs are copied at the end. */
  readonly logsDir?: string;
  /** Told each phase as it begins (the live progress line). */
  readonly onPhase?: (phase: Phase) => void;
  /** Test seam: runs on the restored cluster before it is observed (tampering proves the checks can fail). */
  readonly afterRestore?: (cluster: Cluster) => Promise<void>;
  /** Test seam: runs after the post-backup writes, before the disaster (e.g. swap the backup for a later one). */
  readonly beforeDisaster?: (cluster: Cluster, backupFiles: readonly string[]) => Promise<void>;
}

/**
 * One drill in progress: what phases, faults and extensions read and add to. Observations are what
 * the report keeps; the data points are the full key sets, kept in memory only.
 */
export interface DrillContext {
  readonly scenario: Scenario;
  readonly dist: EtcdDist;
  /** A cross-version drill: the version whose tools restore and which runs the restored cluster. */
  readonly restoreDist?: EtcdDist | undefined;
  readonly strategy: Strategy;
  readonly provider: Provider;
  readonly run: RunContext;
  readonly log: Logger;
  readonly rec: Recorder;
  readonly options: DrillOptions;
  /** Cleanups, run in reverse order when the drill ends (cluster, extensions, kept-open clients). */
  readonly scope: Scope;
  readonly extensions: readonly Extension[];
  readonly obs: Observations;
  readonly steps: StepResult[];
  readonly faults: FaultRecord[];
  /** Milliseconds since the epoch when the drill started; step times are relative to it. */
  readonly t0: number;
  /** Whether this etcd serves a v2 API (v2Api, asked once per drill): without one the v2 part is not applicable. */
  v2: Support;
  /** The flags this etcd's --help defines (asked once per drill, before the faults say whether they apply). */
  etcdFlags: ReadonlySet<string>;
  /** Which v3 keys the data checks compare (an extension may narrow it). */
  readonly keep: KeyFilter;
  phase: Phase;
  cluster?: Cluster;
  artifact?: BackupArtifact;
  backupPoint?: DataPoint;
  beforeDisaster?: DataPoint;
  restored?: DataPoint;
  /** Write loads the faults started, in order; their logs are judged against the restored cluster. */
  loads?: { readonly at: string; readonly phase: Phase; readonly load: RunningLoad }[];
  /** Set when etcd's own refusal ended the drill early: a finding, not an error. */
  ended?: 'backup' | 'restore';
}

/** The cluster, which every phase after 'start' has. */
export function clusterOf(d: DrillContext): Cluster {
  if (!d.cluster) throw new Error(`phase ${d.phase} needs the cluster, which was not created`);
  return d.cluster;
}
