import { z } from 'zod';
import { defineFault } from './kind.ts';
import { resolveTarget, TargetSchema } from './target.ts';

/** SIGKILL one member (the leader, a follower, or by name); the heal starts it again on its own data. */
export const kill = defineFault({
  kind: 'kill',
  summary: 'SIGKILL a member (by name, the leader or a follower); the heal restarts it on its data',
  params: {
    target: TargetSchema,
    /** Leave it dead at the heal (a member that stays lost). */
    restart: z.boolean().default(true),
  },
  defaultAt: { during: 'restore' },
  providers: { process: true, container: true },
  build: (spec) => ({
    name: 'kill',
    at: spec.at,
    async inject(d) {
      const m = await resolveTarget(d, spec.target);
      const wasRunning = m.running;
      await m.kill();
      const what = wasRunning
        ? `SIGKILL ${m.name} (${spec.target})`
        : `${m.name} was not running: nothing killed`;
      return {
        description: what,
        evidence: { member: m.name, wasRunning },
        ...(spec.restart && wasRunning ? { heal: () => m.restart() } : {}),
      };
    },
  }),
});
