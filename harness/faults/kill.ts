import { z } from 'zod';
import { defineFault } from './kind.ts';
import { resolveTarget, TargetSchema } from './target.ts';
import { whenRunning } from './when-running.ts';

/** SIGKILL one member (the leader, a follower, or by name); the heal starts it again on its own data. */
export const kill = defineFault({
  kind: 'kill',
  summary: 'SIGKILL a member (by name, the leader or a follower; waits for it to run); the heal restarts it',
  params: {
    target: TargetSchema,
    /** Leave it dead at the heal (a member that stays lost). */
    restart: z.boolean().default(true),
  },
  defaultAt: { during: 'restore' },
  providers: { process: true, container: true },
  build: (spec) => ({
    async inject(d, phaseEnded) {
      const m = await resolveTarget(d, spec.target);
      await whenRunning(m, phaseEnded, 'kill');
      await m.kill();
      return {
        description: `SIGKILL ${m.name} (${spec.target})`,
        evidence: { member: m.name },
        ...(spec.restart ? { heal: () => m.restart() } : {}),
      };
    },
  }),
});
