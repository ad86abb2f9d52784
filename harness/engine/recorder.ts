import { serializeError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { Observations, StepResult } from '../result.ts';
import type { Recorder } from '../strategies/types.ts';
import type { Phase } from './phases.ts';

/** Times each step for the report and the console, and keeps what the strategy notes as typed observations. */
export function createRecorder(o: {
  log: Logger;
  steps: StepResult[];
  t0: number;
  obs: Observations;
  phase: () => Phase;
}): Recorder {
  const secs = (from: number) => ((Date.now() - from) / 1000).toFixed(1);
  return {
    async step(title, fn) {
      const start = Date.now();
      const entry = { title, phase: o.phase(), startMs: start - o.t0 };
      o.log.progress(`${title} …`);
      try {
        const r = await fn();
        o.steps.push({ ...entry, durationMs: Date.now() - start, ok: true });
        o.log.progress(`${title}: ok (${secs(start)}s)`);
        return r;
      } catch (err) {
        o.steps.push({ ...entry, durationMs: Date.now() - start, ok: false, error: serializeError(err) });
        o.log.progress(`${title}: FAILED (${secs(start)}s)`);
        throw err;
      }
    },
    note(key, value) {
      o.obs.strategy = { ...o.obs.strategy, [key]: value };
    },
  };
}
