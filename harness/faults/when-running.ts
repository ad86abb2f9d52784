import type { Member } from '../cluster/types.ts';
import type { ActiveFault } from '../engine/fault.ts';
import { HarnessError } from '../errors.ts';
import { poll } from '../util/poll.ts';

/**
 * Waits until the member runs and its start is over (e.g. the one joining after member add: a
 * fault aimed at a running member, not at our start-up); false when the phase ended first.
 */
export async function untilRunning(m: Member, phaseEnded: AbortSignal): Promise<boolean> {
  if (m.running && !m.starting) return true;
  try {
    const r = await poll(async () => m.running && !m.starting, {
      boundMs: 10 * 60_000,
      intervalMs: 50,
      signal: phaseEnded,
      done: (x) => x,
    });
    return r.done;
  } catch (err) {
    if (err instanceof HarnessError && err.code === 'ABORTED') return false;
    throw err;
  }
}

/**
 * untilRunning, or a harness error when the phase ended first: a fault that never struck must not
 * leave a drill graded as if it had (the drill is unknown, the scenario says which fault and where).
 */
export async function whenRunning(m: Member, phaseEnded: AbortSignal, fault: string): Promise<void> {
  if (await untilRunning(m, phaseEnded)) return;
  throw new HarnessError(
    'FAULT_INJECT',
    `${fault}: ${m.name} did not run before its phase ended, so the fault never struck; place it where ${m.name} runs`,
  );
}

/**
 * A fault on a member that does not run yet and can only be done to a running one (a container's
 * network exists only while it runs): armed now, done as soon as it runs, undone at the heal. The
 * phase's body goes on meanwhile (it is what starts the member).
 */
export function onceRunning(
  m: Member,
  phaseEnded: AbortSignal,
  description: string,
  act: () => Promise<() => Promise<void>>,
): ActiveFault {
  let failed: unknown;
  // Handled here, not at the heal: a rejection left waiting for it would end the process.
  const pending = whenRunning(m, phaseEnded, description)
    .then(act)
    .catch((err: unknown) => {
      failed = err;
      return undefined;
    });
  return {
    description: `${description}, once ${m.name} runs`,
    async heal() {
      const undo = await pending;
      if (failed !== undefined) throw failed;
      await undo?.();
    },
  };
}
