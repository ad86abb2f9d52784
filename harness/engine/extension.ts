import type { Observations } from '../result.ts';
import type { DrillContext } from './context.ts';
import type { Phase } from './phases.ts';

/**
 * Something that lives alongside a drill (component probes, a Kubernetes control plane): it hooks
 * into phases after their own body and leaves observations for the checks. Its cleanup goes into
 * the drill's scope when its start hook runs.
 */
export interface Extension {
  /** As results.json lists it; checks that need it look for this name. */
  readonly name: string;
  /** Which v3 keys the data checks compare, when the extension writes keys of its own. */
  readonly keep?: (key: string) => boolean;
  /** Seeds v3 itself (through an API) instead of the raw fixture; returns what it created. */
  seedV3?(d: DrillContext): Promise<Partial<NonNullable<Observations['seeded']>>>;
  /** Whether the harness's raw post-backup and post-restore v3 writes may touch its keys. @default true */
  readonly rawV3Writes?: boolean;
  readonly hooks: Partial<Record<Phase, (d: DrillContext) => Promise<void>>>;
}
