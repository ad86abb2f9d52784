/**
 * The drill, as an ordered list of named phases. Faults are placed between phases or during one;
 * extensions hook in after a phase's own body.
 */
export const PHASES = [
  'start',
  'seed',
  'backup',
  'after-backup',
  'disaster',
  'restore',
  'restored',
  'assess',
] as const;
export type Phase = (typeof PHASES)[number];

/** What each phase does, for the report and the README. */
export const PHASE_TITLES: Record<Phase, string> = {
  start: 'stand up the cluster',
  seed: 'seed both APIs',
  backup: 'read the backup point, take the backup',
  'after-backup': 'write after the backup, read the cluster just before the disaster',
  disaster: 'the disaster (faults placed here)',
  restore: "restore with the strategy's procedure",
  restored: 'read every member of the restored cluster',
  assess: 'integrity, revisions, extensions judge recovery',
};
