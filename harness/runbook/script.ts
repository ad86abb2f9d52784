import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { HarnessError } from '../errors.ts';

export interface ScriptOptions {
  readonly cwd: string;
  readonly env: Record<string, string>;
  readonly timeoutMs: number;
  /** The run's signal (Ctrl-C): the script's group is killed and the run stops. */
  readonly signal: AbortSignal;
  /** stdout and stderr together, as a terminal shows them. */
  readonly logFile: string;
}

export interface ScriptRun {
  /** undefined when it was killed. */
  readonly exitCode: number | undefined;
  /** Killed at the bound. */
  readonly hung: boolean;
  readonly durationMs: number;
  /** The last lines of its output (stdout and stderr interleaved). */
  readonly tail: readonly string[];
}

const TAIL_LINES = 40;

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // the group is gone already
  }
}

/**
 * Runs one runbook script in a process group of its own. Past the bound, or on Ctrl-C, the whole
 * group is killed; when it ends, so is anything it left running in its group (members run through
 * $ETCD_DRILL_SERVICE, which the harness owns, not as the script's children).
 */
export async function runScript(file: string, o: ScriptOptions): Promise<ScriptRun> {
  const t0 = Date.now();
  const log = createWriteStream(o.logFile, { flags: 'a' });
  log.write(`=== etcd-drill: ${file} at ${new Date().toISOString()}\n`);
  let text = '';
  const keep = (chunk: Buffer) => {
    log.write(chunk);
    text = (text + chunk.toString()).slice(-64 * 1024);
  };
  const child = spawn(file, [], {
    cwd: o.cwd,
    env: o.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const closed = new Promise((resolve) => child.once('close', resolve));
  const exited = new Promise<number | undefined>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => resolve(code ?? undefined));
  });
  let hung = false;
  const timer = setTimeout(() => {
    hung = true;
    killGroup(child.pid);
  }, o.timeoutMs);
  const onAbort = () => killGroup(child.pid);
  o.signal.addEventListener('abort', onAbort, { once: true });
  try {
    const exitCode = await exited.catch((err: Error) => {
      throw new HarnessError('STRATEGY', `cannot run ${file}: ${err.message}`);
    });
    killGroup(child.pid);
    // Its output pipes close once the group is gone; bounded, so a stray holder cannot stall the drill.
    await Promise.race([closed, sleep(2000, undefined, { ref: false })]);
    if (o.signal.aborted) throw new HarnessError('ABORTED', `${file} was interrupted`);
    return {
      exitCode: hung ? undefined : exitCode,
      hung,
      durationMs: Date.now() - t0,
      tail: text
        .split('\n')
        .filter((l) => l.trim())
        .slice(-TAIL_LINES),
    };
  } finally {
    clearTimeout(timer);
    o.signal.removeEventListener('abort', onAbort);
    await new Promise((resolve) => log.end(resolve));
  }
}
