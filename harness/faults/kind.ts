import { z } from 'zod';
import type { Fault, Placement } from '../engine/fault.ts';
import { PHASES } from '../engine/phases.ts';

export const CLUSTER_PROVIDERS = ['process', 'container'] as const;
export type ProviderName = (typeof CLUSTER_PROVIDERS)[number];

/** Per provider: true, or why it cannot take the fault (shown as "not applicable: <why>"). */
export type ProviderSupport = Readonly<Record<ProviderName, true | string>>;

export const PlacementSchema = z.union([
  z.object({ after: z.enum(PHASES) }).strict(),
  z.object({ during: z.enum(PHASES) }).strict(),
]);

/** What every fault spec may say besides its own parameters; the engine acts on these. */
const COMMON = {
  /** Where the fault runs; the kind's defaultAt when absent. */
  at: PlacementSchema.optional(),
  /** A `during` fault: inject this long after the phase starts, alongside its body (0: from its start). */
  delayMs: z.number().int().nonnegative().optional(),
  /** Heal this long after the injection instead of when the phase ends. */
  forMs: z.number().int().positive().optional(),
};
export type CommonSpec = { [K in keyof typeof COMMON]?: z.infer<(typeof COMMON)[K]> };

/**
 * One kind of fault a scenario file can name: its parameters, where it goes by default, which
 * providers can do it, and how to build the plug-in from a spec.
 */
export interface FaultKind<P extends z.ZodRawShape = z.ZodRawShape> {
  readonly kind: string;
  /** One line for `etcd-drill list`. */
  readonly summary: string;
  /** The kind's own parameters (besides kind, at, delayMs, forMs). */
  readonly params: P;
  readonly defaultAt: Placement;
  readonly providers: ProviderSupport;
  /** This fault is the drill's disaster: a scenario that names it gets no default lose-every-member. */
  readonly disaster?: boolean;
  /** The plug-in's behaviour; the registry adds its name (the kind) and placement. */
  build(spec: z.infer<z.ZodObject<P>> & { readonly at: Placement }): FaultBody;
}

/** What a kind builds: a Fault without what the registry fills in from the spec. */
export type FaultBody = Omit<Fault, 'name' | 'at' | 'delayMs' | 'forMs'>;

export function defineFault<P extends z.ZodRawShape>(k: FaultKind<P>): FaultKind<P> {
  return k;
}

/** The strict spec schema of one kind: `{ kind, at?, delayMs?, forMs?, ...params }`. */
export function specSchema(k: FaultKind) {
  return z.object({ kind: z.literal(k.kind), ...COMMON, ...k.params }).strict();
}

/** A spec as the registry sees it: the common fields and the kind's own. */
export type AnyFaultSpec = { readonly kind: string } & CommonSpec & Readonly<Record<string, unknown>>;

/**
 * A fault that starts members with flags of its own cannot reach members that are units (a runbook's):
 * they run with exactly what their env files say.
 */
export function flagsReachMembers(d: { strategy: { memberUnits?: boolean } }, what: string) {
  return d.strategy.memberUnits
    ? ({
        ok: false,
        reason: `${what}, and a runbook's members run with exactly what their env files say`,
      } as const)
    : ({ ok: true } as const);
}
