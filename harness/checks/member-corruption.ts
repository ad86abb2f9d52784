import { type CheckDef, need } from '../engine/check.ts';
import { DEFAULT_EXPECTATIONS } from '../scenario.ts';
import { memberCorruptionOutcome } from './fault-outcomes.ts';

/** Where the fault's observation is, or its error: the check applies once the fault ran. */
export const ran = (key: 'memberCorruption' | 'restoredQuota') => (i: Parameters<CheckDef['applies']>[0]) =>
  i.observations[key] !== undefined || i.observations.errors?.[key] !== undefined;

/** A member's data dir damaged while it was stopped: does etcd refuse, detect, or serve it? */
export const memberCorruptionCheck: CheckDef = {
  id: 'member-corruption',
  title: 'member corruption: etcd refuses, detects or serves a damaged data dir',
  expectPath: ['memberCorruption'],
  fallback: DEFAULT_EXPECTATIONS.unrecorded,
  applies: ran('memberCorruption'),
  observe(i) {
    const o = need(i, 'memberCorruption');
    return { observed: memberCorruptionOutcome(o), evidence: { ...o } };
  },
};
