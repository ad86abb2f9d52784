import { defineFault } from './kind.ts';
import { resolveTarget, TargetSchema } from './target.ts';

/** Freezes a member (SIGSTOP, docker pause): it keeps its sockets open but answers nothing. */
export const pause = defineFault({
  kind: 'pause',
  summary: 'freeze a member (SIGSTOP / docker pause) until the heal resumes it',
  params: { target: TargetSchema },
  defaultAt: { during: 'backup' },
  providers: { process: true, container: true },
  build: (spec) => ({
    name: 'pause',
    at: spec.at,
    async inject(d) {
      const m = await resolveTarget(d, spec.target);
      if (!m.running) return { description: `${m.name} was not running: nothing paused` };
      await m.pause();
      return {
        description: `pause ${m.name} (${spec.target})`,
        evidence: { member: m.name },
        heal: () => m.resume(),
      };
    },
  }),
});
