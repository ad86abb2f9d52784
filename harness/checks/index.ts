import type { CheckDef } from '../engine/check.ts';
import { ackedWritesCheck } from './acknowledged-writes.ts';
import { componentChecks, k8sChecks } from './components.ts';
import { v2DataCheck, v3DataCheck } from './data.ts';
import { integrityCheck } from './hashkv.ts';
import { memberIdsCheck, membershipCheck } from './membership.ts';
import { memberAddCheck, memberUpdateCheck, peerUrlCheck } from './rebuild.ts';
import { revisionCheck } from './revision.ts';
import { backupCheck, restoreCheck } from './steps.ts';

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
  memberIdsCheck,
  peerUrlCheck,
  memberUpdateCheck,
  memberAddCheck,
  ...componentChecks,
  ...k8sChecks,
];
