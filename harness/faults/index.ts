import { z } from 'zod';
import type { Fault, Placement } from '../engine/fault.ts';
import { corruptSnapshot } from './corrupt-snapshot.ts';
import { diskCorruption } from './disk-corruption.ts';
import { kill } from './kill.ts';
import { type AnyFaultSpec, type FaultKind, specSchema } from './kind.ts';
import { loseEveryMember } from './lose-every-member.ts';
import { loseOneMemberFault } from './lose-one-member.ts';
import { nospace, restoreQuota } from './nospace.ts';
import { partition } from './partition.ts';
import { pause } from './pause.ts';
import { powerLossFault } from './power-loss.ts';
import { quorumLoss } from './quorum-loss.ts';
import { restoreOverOld } from './restore-over-old-data-dir.ts';
import { rollingUpgradeFault } from './rolling-upgrade.ts';
import { slowPeer } from './slow-peer.ts';
import { v2Readiness } from './v2-readiness.ts';
import { writeLoad } from './write-load.ts';

/** Every fault a scenario file can name, by `kind`: one file each in this folder. */
export const FAULT_KINDS: readonly FaultKind[] = [
  loseEveryMember,
  corruptSnapshot,
  kill,
  pause,
  partition,
  slowPeer,
  writeLoad,
  diskCorruption,
  nospace,
  restoreQuota,
  quorumLoss,
  loseOneMemberFault,
  powerLossFault,
  restoreOverOld,
  rollingUpgradeFault,
  v2Readiness,
] as FaultKind[];

type Options = [
  z.AnyZodObject & z.ZodDiscriminatedUnionOption<'kind'>,
  ...(z.AnyZodObject & z.ZodDiscriminatedUnionOption<'kind'>)[],
];
/** A scenario's `faults[]` entry: `{ kind, at?, delayMs?, forMs?, ...the kind's parameters }`. */
export const FaultSchema = z
  .discriminatedUnion('kind', FAULT_KINDS.map(specSchema) as unknown as Options)
  .superRefine((parsed, ctx) => {
    const s = parsed as AnyFaultSpec;
    const at: Placement = s.at ?? faultKind(s.kind).defaultAt;
    if (s.delayMs !== undefined && !('during' in at))
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['delayMs'],
        message: 'delayMs needs at: { during: <phase> }',
      });
  }) as unknown as z.ZodType<FaultSpec, z.ZodTypeDef, unknown>;
export type FaultSpec = AnyFaultSpec;

export function faultKind(kind: string): FaultKind {
  const k = FAULT_KINDS.find((x) => x.kind === kind);
  if (!k) throw new Error(`unknown fault kind ${kind}`); // the scenario schema let it through: a bug
  return k;
}

function build(spec: FaultSpec): Fault {
  const k = faultKind(spec.kind);
  const at = spec.at ?? k.defaultAt;
  return { ...k.build({ ...spec, at }), name: k.kind, at, delayMs: spec.delayMs, forMs: spec.forMs };
}

/** The scenario's faults in order, with the default disaster when it names none. */
export function faultsFor(s: { readonly faults: readonly FaultSpec[] }): Fault[] {
  const listed = s.faults.map(build);
  const hasDisaster = s.faults.some((f) => faultKind(f.kind).disaster);
  return hasDisaster ? listed : [...listed, build({ kind: 'lose-every-member' })];
}
