import { type CheckDef, endedAt, need } from '../engine/check.ts';
import { DEFAULT_EXPECTATIONS } from '../scenario.ts';

/** Did the backup complete, or did etcd refuse it, fail it, or hang (bounded)? */
export const backupCheck: CheckDef = {
  id: 'backup',
  title: 'backup: the procedure takes its backup',
  expectPath: ['backup'],
  fallback: DEFAULT_EXPECTATIONS.backup,
  applies: () => true,
  observe(i) {
    const b = need(i, 'backup');
    return {
      observed: b.outcome,
      ...(b.quote ? { evidence: { step: b.step, etcdSays: b.quote } } : {}),
    };
  },
};

/** Did etcd take the backup for restoring? A refusal quotes etcd and ends the drill there. */
export const restoreCheck: CheckDef = {
  id: 'restore',
  title: 'restore: etcd accepts the backup',
  expectPath: ['restore'],
  fallback: DEFAULT_EXPECTATIONS.restore,
  applies: (i) => endedAt(i.observations) !== 'backup',
  observe(i) {
    const r = need(i, 'restore');
    return {
      observed: r.outcome,
      ...(r.quote ? { evidence: { step: r.step, etcdSays: r.quote } } : {}),
    };
  },
};
