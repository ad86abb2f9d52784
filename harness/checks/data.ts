import { type CheckDef, endedAt, type GradeInput, need } from '../engine/check.ts';
import { DEFAULT_EXPECTATIONS } from '../scenario.ts';

/** Checks of what the restored cluster serves apply once a restore completed. */
export const restoredReached = (i: GradeInput) => endedAt(i.observations) === undefined;

/**
 * One API's data on every member against the backup point: restored exactly, lost, partial,
 * post-backup (not from the backup alone), mismatch, or divergent when members serve different data.
 */
function dataCheck(api: 'v2' | 'v3', title: string): CheckDef {
  return {
    id: `${api}-data`,
    title,
    expectPath: [api],
    fallback: DEFAULT_EXPECTATIONS.notReached,
    // An etcd without a v2 API has no v2 data to check: not applicable (observations.v2NotApplicable says why).
    applies: (i) => restoredReached(i) && !(api === 'v2' && i.observations.v2NotApplicable),
    observe(i) {
      const members = need(i, 'restored').members;
      const [first] = members;
      if (!first) throw new Error('no member of the restored cluster could be read');
      const agree = members.every((m) => m[api].keys.sha256 === first[api].keys.sha256);
      const { outcome, keys, ...diff } = first[api];
      return {
        observed: agree ? outcome : 'divergent',
        evidence: {
          ...diff,
          observedKeys: keys.count,
          members: Object.fromEntries(
            members.map((m) => [m.name, { outcome: m[api].outcome, keys: m[api].keys.count }]),
          ),
        },
      };
    },
  };
}

export const v3DataCheck = dataCheck(
  'v3',
  'v3 keys: the backup point exactly (every key and value, nothing written after)',
);
export const v2DataCheck = dataCheck(
  'v2',
  'v2 entries: the backup point exactly (every entry, nothing written after)',
);
