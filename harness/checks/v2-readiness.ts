import { type CheckDef, type GradeInput, need, type Observed } from '../engine/check.ts';
import type { V2Readiness } from '../result.ts';
import { DEFAULT_EXPECTATIONS } from '../scenario.ts';
import { V2_LEVELS, V2_OUTCOMES } from './v2-readiness-outcomes.ts';

type Outcome<K extends keyof typeof V2_OUTCOMES> = (typeof V2_OUTCOMES)[K][number];

type StoreCheck = V2Readiness['checkBefore'][number];
type Level = V2Readiness['levels'][number];

/** Every member's `etcdutl check v2store` as one outcome; a tool failure is unknown, never a pass. */
export function storeCheckOutcome(checks: readonly StoreCheck[] | undefined): Outcome<'check'> {
  if (!checks?.length) throw new Error('etcdutl check v2store did not run');
  const failed = checks.find((c) => c.result === 'error');
  if (failed) throw new Error(`etcdutl check v2store on ${failed.member} failed: ${failed.words}`);
  if (checks.every((c) => c.result === 'found')) return 'custom content found';
  if (checks.every((c) => c.result === 'none')) return 'no custom content found';
  return 'members differ';
}

/** Whether the check told what the v2 API listed: a pass with keys listed is a miss. */
export function checkSeesOutcome(o: V2Readiness): Outcome<'checkSees'> {
  const found = storeCheckOutcome(o.checkBefore);
  if (found === 'members differ') return found;
  if (o.v2Keys === 0)
    return found === 'custom content found' ? 'reports data the v2 API does not list' : 'no v2 data to see';
  return found === 'custom content found' ? 'sees the v2 data' : 'misses the v2 data';
}

/** Where a level's drill lost a step to a harness error: that line is unknown. */
function lostAt(l: Level, what: string): void {
  const why = l.errors?.[what] ?? l.errors?.start;
  if (why) throw new Error(`--v2-deprecation=${l.level}: ${what} not observed (${why})`);
}

export function levelStartOutcome(l: Level): Outcome<'start'> {
  lostAt(l, 'start');
  const [withV2, without] = l.starts;
  if (!withV2) throw new Error(`--v2-deprecation=${l.level}: no start was tried`);
  if (withV2.started) return 'starts with --enable-v2';
  return without?.started ? 'refuses with --enable-v2, starts without' : 'refuses';
}

const started = (l: Level) => l.starts.some((s) => s.started);

export function levelCallOutcome(l: Level, which: 'read' | 'write'): Outcome<'read' | 'write'> {
  lostAt(l, which);
  if (!started(l)) return 'not started';
  const call = which === 'read' ? l.v2Read : l.v2Write;
  if (!call) throw new Error(`--v2-deprecation=${l.level}: no v2 ${which} recorded`);
  // Anything but a known answer (an HTTP error, a timeout) is the harness's failure to tell: unknown.
  const known: readonly string[] = V2_OUTCOMES[which];
  if (!known.includes(call.outcome)) throw new Error(`v2 ${which}: ${call.outcome}: ${call.words}`);
  return call.outcome as Outcome<'read' | 'write'>;
}

export function levelSnapshotOutcome(l: Level): Outcome<'snapshot'> {
  lostAt(l, 'snapshot');
  if (!started(l)) return 'not started';
  const o = storeCheckOutcome(l.snapshotRestore ? [l.snapshotRestore] : undefined);
  return o === 'custom content found' ? 'v2 data kept' : 'v2 data dropped';
}

/** After the level, a restart with the deployment's flags: are the v2 keys still listed? */
export function levelRestartOutcome(l: Level, before: number): Outcome<'restart'> {
  lostAt(l, 'restart');
  const after = l.keysAfterRestart;
  if (after === undefined)
    throw new Error(`--v2-deprecation=${l.level}: v2 keys not listed after the restart`);
  if (before === 0) return after === 0 ? 'no v2 data' : 'v2 keys appeared';
  if (after === before) return 'v2 data kept';
  return after === 0 ? 'v2 data dropped' : 'v2 data partly kept';
}

const ran = (i: GradeInput) =>
  i.observations.v2Readiness !== undefined || i.observations.errors?.v2Readiness !== undefined;

function def(
  id: string,
  title: string,
  path: string[],
  observe: (o: V2Readiness) => string,
  evidence?: (o: V2Readiness) => Record<string, unknown> | undefined,
): CheckDef {
  return {
    id,
    title,
    expectPath: ['v2Readiness', ...path],
    fallback: DEFAULT_EXPECTATIONS.unrecorded,
    applies: ran,
    observe(i) {
      const o = need(i, 'v2Readiness');
      const stopped = i.observations.errors?.v2Readiness;
      let observed: string;
      try {
        observed = observe(o);
      } catch (err) {
        // A line the drill did not reach: unknown, naming the error that stopped it.
        throw stopped ? new Error(`${(err as Error).message}; the drill stopped: ${stopped.message}`) : err;
      }
      const e = evidence?.(o);
      return e ? ({ observed, evidence: e } satisfies Observed) : { observed };
    },
  };
}

function level(o: V2Readiness, name: string): Level {
  const l = o.levels.find((x) => x.level === name);
  if (!l) throw new Error(`--v2-deprecation=${name} was not reached${errorText(o)}`);
  return l;
}

const errorText = (o: V2Readiness) => (o.errors ? ` (${Object.values(o.errors).join('; ')})` : '');

function cleanupOutcome(o: V2Readiness, key: 'guideCleanup' | 'deleteCleanup'): Outcome<'cleanup'> {
  const why = o.errors?.[key];
  if (why) throw new Error(`${key}: ${why}`);
  const c = storeCheckOutcome(o[key]);
  return c === 'no custom content found'
    ? 'check passes'
    : c === 'custom content found'
      ? 'check still fails'
      : c;
}

function levelChecks(name: string): CheckDef[] {
  const t = `v2 readiness, --v2-deprecation=${name}`;
  return [
    def(
      `v2-${name}-start`,
      `${t}: does etcd start`,
      [name, 'start'],
      (o) => levelStartOutcome(level(o, name)),
      (o) => ({ starts: level(o, name).starts }),
    ),
    def(`v2-${name}-read`, `${t}: a v2 read`, [name, 'read'], (o) =>
      levelCallOutcome(level(o, name), 'read'),
    ),
    def(`v2-${name}-write`, `${t}: a v2 write`, [name, 'write'], (o) =>
      levelCallOutcome(level(o, name), 'write'),
    ),
    def(`v2-${name}-snapshot`, `${t}: v2 data in a v3 snapshot restore`, [name, 'snapshot'], (o) =>
      levelSnapshotOutcome(level(o, name)),
    ),
    def(`v2-${name}-restart`, `${t}: v2 data after a restart`, [name, 'restart'], (o) =>
      levelRestartOutcome(level(o, name), o.v2Keys),
    ),
  ];
}

/** The readiness drill's report lines (faults/v2-readiness.ts), in the order it runs them. */
export const v2ReadinessChecks: readonly CheckDef[] = [
  def(
    'v2-check',
    'v2 readiness: etcdutl check v2store on every member',
    ['check'],
    (o) => storeCheckOutcome(o.checkBefore),
    (o) => ({ checks: o.checkBefore, v2Snapshot: o.v2Snapshot }),
  ),
  def(
    'v2-check-sees',
    'v2 readiness: does the check see the v2 keys the API lists',
    ['checkSees'],
    checkSeesOutcome,
  ),
  ...V2_LEVELS.flatMap(levelChecks),
  def(
    'v2-guide-cleanup',
    "v2 readiness: the 3.6 upgrade guide's clean-up, then the check",
    ['guideCleanup'],
    (o) => cleanupOutcome(o, 'guideCleanup'),
  ),
  def(
    'v2-delete-cleanup',
    'v2 readiness: custom keys deleted through v2, then the check',
    ['deleteCleanup'],
    (o) => cleanupOutcome(o, 'deleteCleanup'),
  ),
  def(
    'v2-write-only-after-cleanup',
    'v2 readiness: --v2-deprecation=write-only after the clean-up',
    ['afterCleanup'],
    (o) => {
      const why = o.errors?.writeOnlyAfterCleanup;
      if (why) throw new Error(why);
      const s = o.writeOnlyAfterCleanup;
      if (!s) throw new Error(`not reached${errorText(o)}`);
      return s.started ? 'starts' : 'refuses';
    },
  ),
];
