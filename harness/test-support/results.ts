import type { MemberData } from '../result.ts';

/** One member's view of one API as results.json keeps it: the backup point exactly, unless told otherwise. */
export function memberData(over: Partial<MemberData> = {}): MemberData {
  return {
    outcome: 'restored',
    keys: { count: 270, sha256: 'h270' },
    expected: 270,
    same: 270,
    missing: 0,
    extra: 0,
    changed: 0,
    firstMissing: [],
    firstExtra: [],
    firstChanged: [],
    postBackupSeen: [],
    lostAfterBackup: 0,
    firstLost: [],
    ...over,
  };
}
