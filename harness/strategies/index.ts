import { v3SnapshotForceNewCluster } from './s1-v3-snapshot.ts';
import type { Strategy } from './types.ts';

/** Strategy registry: the names scenario files use. */
export const STRATEGIES: ReadonlyMap<string, Strategy> = new Map(
  [v3SnapshotForceNewCluster].map((s) => [s.name, s]),
);
