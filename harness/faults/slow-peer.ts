import { z } from 'zod';
import { defineFault } from './kind.ts';
import { peerLinkFault } from './peer-links.ts';
import { TargetSchema } from './target.ts';

/**
 * Slows one member's peer links: every byte to and from its peers waits `latencyMs` each way
 * (`delayMs` is the engine's: when to inject). No netem here, so a delaying proxy does it.
 */
export const slowPeer = defineFault({
  kind: 'slow-peer',
  summary: "delay a member's peer links by latencyMs each way (a delaying proxy); client port untouched",
  params: {
    target: TargetSchema,
    latencyMs: z.number().int().positive().max(10_000),
  },
  defaultAt: { during: 'backup' },
  providers: { process: true, container: true },
  build: (spec) =>
    peerLinkFault(spec.target, (net, m) => ({
      description: `delay ${m.name}'s (${spec.target}) peer links by ${spec.latencyMs} ms each way`,
      evidence: { member: m.name, latencyMs: spec.latencyMs },
      act: () => net.delay(m, spec.latencyMs),
    })),
});
