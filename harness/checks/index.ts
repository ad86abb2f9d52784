import type { CheckDef } from '../engine/check.ts';
import { ackedWritesCheck } from './acknowledged-writes.ts';
import { componentChecks, k8sChecks, kubeletChecks, modernK8sChecks } from './components.ts';
import { v2DataCheck, v3DataCheck } from './data.ts';
import { integrityCheck } from './hashkv.ts';
import { memberCorruptionCheck } from './member-corruption.ts';
import { memberIdsCheck, membershipCheck } from './membership.ts';
import { memberAddCheck, memberUpdateCheck, peerUrlCheck } from './rebuild.ts';
import { restoredQuotaCheck } from './restored-quota.ts';
import { revisionCheck } from './revision.ts';
import { backupCheck, restoreCheck } from './steps.ts';
import { v2ReadinessChecks } from './v2-readiness.ts';

/** Every check, in report order. A new check is one file and one line here. */
export const CHECKS: readonly CheckDef[] = [
  backupCheck,
  restoreCheck,
  v3DataCheck,
  v2DataCheck,
  ackedWritesCheck,
  membershipCheck,
  revisionCheck,
  integrityCheck,
  memberCorruptionCheck,
  restoredQuotaCheck,
  memberIdsCheck,
  peerUrlCheck,
  memberUpdateCheck,
  memberAddCheck,
  ...componentChecks,
  ...k8sChecks,
  ...kubeletChecks,
  ...modernK8sChecks,
  ...v2ReadinessChecks,
];
