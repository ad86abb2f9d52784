import { defineFault } from './kind.ts';
import { resolveTarget, TargetSchema } from './target.ts';
import { whenRunning } from './when-running.ts';

/** Freezes a member (SIGSTOP, docker pause): it keeps its sockets open but answers nothing. */
export const pause = defineFault({
  kind: 'pause',
  summary: 'freeze a member (SIGSTOP / docker pause) until the heal resumes it',
  params: { target: TargetSchema },
  defaultAt: { during: 'backup' },
  providers: { process: true, container: true },
  build: (spec) => ({
    async inject(d, phaseEnded) {
      const m = await resolveTarget(d, spec.target);
      await whenRunning(m, phaseEnded, 'pause');
      await m.pause();
      return {
        description: `pause ${m.name} (${spec.target})`,
        evidence: { member: m.name },
        heal: () => m.resume(),
      };
    },
  }),
});
