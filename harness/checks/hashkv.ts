import { type CheckDef, need } from '../engine/check.ts';
import { DEFAULT_EXPECTATIONS } from '../scenario.ts';
import { restoredReached } from './data.ts';

/** Every member hashes the same keyspace at one revision, and no alarm is raised (etcdctl endpoint hashkv). */
export const integrityCheck: CheckDef = {
  id: 'integrity',
  title: 'integrity: every member hashes the same keyspace, no alarm',
  expectPath: ['integrity'],
  fallback: DEFAULT_EXPECTATIONS.integrity,
  applies: restoredReached,
  observe(i) {
    const v = need(i, 'integrity');
    return {
      observed: v.outcome,
      evidence: {
        atRevision: v.revision,
        hashes: Object.fromEntries(
          v.hashes.map((h) => [h.member, { hash: h.hash, compactRevision: h.compactRevision }]),
        ),
        alarms: v.alarms,
        ...(v.evidence ?? {}),
      },
    };
  },
};
