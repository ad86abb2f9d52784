import { HarnessError } from '../errors.ts';
import type { Scenario } from '../scenario.ts';
import { selectScenarios } from '../scenario.ts';
import type { Strategy } from '../strategies/types.ts';
import { loadRunbook, type Runbook } from './config.ts';
import { runbookStrategy } from './strategy.ts';

/** The scenario a runbook plugs into when -s names none: the write-up's cluster and data (3 members, flannel v2, Kubernetes v3). */
export const RUNBOOK_SCENARIO = 's1-v3-snapshot-restore';

export interface RunbookDrill {
  readonly runbook: Runbook;
  readonly strategy: Strategy;
  /** The runbook's first full version (x.y.z), the default when --etcd names none. */
  readonly version: string | undefined;
  /** The chosen scenarios (default RUNBOOK_SCENARIO) with the runbook as their strategy. */
  scenarios(all: readonly Scenario[]): Scenario[];
  strategies(base: ReadonlyMap<string, Strategy>): ReadonlyMap<string, Strategy>;
  checkProvider(name: string): void;
}

/**
 * --runbook: the folder is checked before anything starts; each chosen scenario keeps its cluster,
 * data and faults and gets the runbook for its strategy.
 */
export function withRunbook(o: {
  runbook?: string;
  runbookTimeoutMs?: number;
  scenarios?: readonly string[];
}): RunbookDrill {
  const runbook = loadRunbook(o.runbook ?? '');
  const strategy = runbookStrategy(runbook, o.runbookTimeoutMs ? { timeoutMs: o.runbookTimeoutMs } : {});
  return {
    runbook,
    strategy,
    version: runbook.etcd?.find((v) => /^\d+\.\d+\.\d+$/.test(v)),
    scenarios(all) {
      const chosen = selectScenarios(all, o.scenarios?.length ? o.scenarios : [RUNBOOK_SCENARIO], 'all');
      return chosen.map((s) => ({
        ...s,
        title: `runbook ${runbook.title} on ${s.id}`,
        strategy: strategy.name,
      }));
    },
    strategies(base) {
      return new Map([...base, [strategy.name, strategy]]);
    },
    checkProvider(name) {
      if (name !== 'process' && name !== 'container')
        throw new HarnessError('BAD_INPUT', `--runbook cannot run on provider ${name}`);
    },
  };
}
