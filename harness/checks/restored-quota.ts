import type { CheckDef } from '../engine/check.ts';
import { need } from '../engine/check.ts';
import { DEFAULT_EXPECTATIONS } from '../scenario.ts';
import { restoredQuotaOutcome } from './fault-outcomes.ts';
import { ran } from './member-corruption.ts';

/** The restored cluster under its quota: alarm raised or not, a write taken or refused. */
export const restoredQuotaCheck: CheckDef = {
  id: 'restored-quota',
  title: 'restored quota: alarms on the restored cluster, and whether it takes a write',
  expectPath: ['restoredQuota'],
  fallback: DEFAULT_EXPECTATIONS.unrecorded,
  applies: ran('restoredQuota'),
  observe(i) {
    const o = need(i, 'restoredQuota');
    return { observed: restoredQuotaOutcome(o), evidence: { ...o } };
  },
};
