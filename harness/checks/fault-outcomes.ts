import type { MemberCorruption, RestoredQuota } from '../result.ts';

/**
 * What etcd did with a member whose data dir was damaged while it was stopped. refuses to start: it
 * died by itself (its panic quoted). detected: etcd said so itself (a CORRUPT alarm, or the initial
 * corruption check refusing). silently serves the damage: running, healthy, no alarm, and its hash
 * differs from the others'. no damage served: running, healthy, same hash (etcd repaired or never
 * read the damage). unhealthy: running, but never healthy.
 */
export const MEMBER_CORRUPTION_OUTCOMES = [
  'refuses to start',
  'detected',
  'silently serves the damage',
  'no damage served',
  'unhealthy',
] as const;
export type MemberCorruptionOutcome = (typeof MEMBER_CORRUPTION_OUTCOMES)[number];

// etcd's words when its corruption check refuses (3.3 "found data inconsistency with peers", 3.5 alike).
const CHECK_REFUSAL = /corrupt|inconsisten/i;

/** The outcome of one damaged member; throws when a running member's hash was not read (unknown). */
export function memberCorruptionOutcome(o: MemberCorruption): MemberCorruptionOutcome {
  if (!o.running)
    return o.corruptCheck && CHECK_REFUSAL.test(o.quote ?? '') ? 'detected' : 'refuses to start';
  if (o.alarms?.some((a) => /corrupt/i.test(a))) return 'detected';
  if (!o.healthy) return 'unhealthy';
  const own = o.hashes?.find((h) => h.member === o.member);
  const others = o.hashes?.filter((h) => h.member !== o.member) ?? [];
  if (!own || others.length === 0) throw new Error(`no hash of ${o.member} and its peers to compare`);
  return others.some((h) => h.hash !== own.hash) ? 'silently serves the damage' : 'no damage served';
}

/** The restored cluster's alarm and a write: e.g. "NOSPACE alarm, writes refused". */
export const RESTORED_QUOTA_OUTCOMES = [
  'no alarm, writes accepted',
  'no alarm, writes refused',
  'NOSPACE alarm, writes accepted',
  'NOSPACE alarm, writes refused',
  'no member running',
] as const;
export type RestoredQuotaOutcome = (typeof RESTORED_QUOTA_OUTCOMES)[number];

export function restoredQuotaOutcome(o: RestoredQuota): RestoredQuotaOutcome {
  if (o.running === 0) return 'no member running';
  if (o.write === 'not tried') throw new Error('no write was tried on the restored cluster');
  const alarm = o.alarms.some((a) => /nospace/i.test(a)) ? 'NOSPACE alarm' : 'no alarm';
  return `${alarm}, writes ${o.write}`;
}
