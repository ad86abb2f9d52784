import { z } from 'zod';
import { peerNetworkSupport } from '../cluster/netns.ts';
import { clusterOf } from '../engine/context.ts';
import { HarnessError } from '../errors.ts';
import { defineFault } from './kind.ts';
import { resolveTarget, TargetSchema } from './target.ts';
import { onceRunning } from './when-running.ts';

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
  build: (spec) => ({
    name: 'slow-peer',
    at: spec.at,
    needs: { peerNetwork: true },
    supports: (d) => peerNetworkSupport(d.provider.name),
    async inject(d, phaseEnded) {
      const cluster = clusterOf(d);
      const net = cluster.peerNetwork;
      if (!net)
        throw new HarnessError('FAULT_INJECT', `${cluster.provider} cluster has no peer network to slow`);
      const m = await resolveTarget(d, spec.target);
      const description = `delay ${m.name}'s (${spec.target}) peer links by ${spec.latencyMs} ms each way`;
      const evidence = { member: m.name, latencyMs: spec.latencyMs };
      if (net.needsRunning && !m.running)
        return { ...onceRunning(m, phaseEnded, description, () => net.delay(m, spec.latencyMs)), evidence };
      return { description, evidence, heal: await net.delay(m, spec.latencyMs) };
    },
  }),
});
