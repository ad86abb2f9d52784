import { type CheckDef, need } from '../engine/check.ts';
import { DEFAULT_EXPECTATIONS } from '../scenario.ts';
import { restoredReached } from './data.ts';

/** Revisions clients saw: did the restored cluster hand out revisions below ones already seen? */
export const revisionCheck: CheckDef = {
  id: 'revision',
  title: 'revision: the restored cluster never hands out a revision a client has already seen',
  expectPath: ['revision'],
  fallback: DEFAULT_EXPECTATIONS.revision,
  applies: restoredReached,
  observe(i) {
    const r = need(i, 'revisions');
    return {
      observed: r.firstSeenAfterDisaster < r.maxSeenBeforeDisaster ? 'backwards' : 'forward',
      evidence: {
        highestSeenBeforeDisaster: r.maxSeenBeforeDisaster,
        restoredStartsAt: r.firstSeenAfterDisaster,
        nowAt: need(i, 'restored').revision,
        ...(r.historyBelowStartReadable !== undefined
          ? { historyBelowStartReadable: r.historyBelowStartReadable }
          : {}),
      },
    };
  },
};
