import type { Fault } from '../engine/fault.ts';
import type { FaultSpec, Scenario } from '../scenario.ts';
import { corruptSnapshot } from './corrupt-snapshot.ts';
import { loseEveryMember } from './lose-every-member.ts';

/** Faults that are the drill's disaster; a scenario that names none gets `lose-every-member`. */
const DISASTERS: ReadonlySet<string> = new Set([loseEveryMember.name]);

/** The fault registry: scenario files name faults by `kind`. */
function build(spec: FaultSpec): Fault {
  switch (spec.kind) {
    case 'corrupt-snapshot':
      return corruptSnapshot(spec);
    case 'lose-every-member':
      return loseEveryMember;
  }
}

/** The scenario's faults in order, with the default disaster when it names none. */
export function faultsFor(s: Scenario): Fault[] {
  const listed = s.faults.map(build);
  return listed.some((f) => DISASTERS.has(f.name)) ? listed : [...listed, loseEveryMember];
}
