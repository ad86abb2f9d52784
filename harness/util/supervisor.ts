/**
 * One child process the harness owns: an etcd member or a Kubernetes component. Runs in its own
 * process group (Ctrl-C reaches only the harness, which then stops it; signals reach the whole
 * group), writes to a log file, is labelled with the run folder, and may be restarted when it
 * exits by itself.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RunContext } from '../context.ts';
import { HarnessError } from '../errors.ts';

/** The line each launch appends to the log; a reader finds the latest run's output after it. */
export const START_MARK = '\n=== etcd-drill: starting ';

export interface ProcessExit {
  readonly at: string;
  /** 'code 1' or 'signal SIGKILL'. */
  readonly how: string;
}

export interface SupervisorOptions {
  /** For messages and the start line. */
  readonly name: string;
  readonly ctx: Pick<RunContext, 'runId' | 'workDir' | 'log' | 'signal'>;
  /**
   * Restart after an exit nobody asked for, waiting backoffMs[n] before the n-th restart since
   * start() (the last value repeats). Never after stop(), kill() or an abort.
   */
  readonly restart?: { readonly backoffMs: readonly number[] };
  /** Each exit nobody asked for, awaited before any restart (so it can still read that run's log). */
  readonly onExit?: (exit: ProcessExit) => void | Promise<void>;
  /** Append START_MARK to the log on each launch. @default true */
  readonly mark?: boolean;
}

interface Launch {
  readonly argv: readonly string[];
  readonly env: Record<string, string>;
  readonly logFile: string;
}

function signalGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    // already gone
  }
}

export class Supervised {
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();
  #launch: Launch | undefined;
  /** Between start() and stop()/kill(): an exit then is unexpected, and may be restarted. */
  #wanted = false;
  #restartTimer: NodeJS.Timeout | undefined;
  #restarting: Promise<void> | undefined;
  #restarts = 0;
  #lastExit: ProcessExit | undefined;
  readonly #exits: ProcessExit[] = [];

  constructor(readonly opts: SupervisorOptions) {}

  get running(): boolean {
    const c = this.#child;
    return c !== undefined && c.pid !== undefined && c.exitCode === null && c.signalCode === null;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  get wanted(): boolean {
    return this.#wanted;
  }

  /** The latest exit of any launch, expected or not. */
  get lastExit(): ProcessExit | undefined {
    return this.#lastExit;
  }

  /** Exits nobody asked for, in order. */
  exits(): readonly ProcessExit[] {
    return [...this.#exits];
  }

  /**
   * Spawns argv[0] with argv[1..] (env as given, plus DRILL_RUN_ID), output appended to logFile.
   * Resolves once spawned; throws a HarnessError if it cannot run. Waiting for it to answer is the
   * caller's: only it knows what answering means.
   */
  async start(argv: readonly string[], env: Record<string, string>, logFile: string): Promise<void> {
    const { name, ctx } = this.opts;
    if (this.running) throw new HarnessError('PROVIDER_START', `${name} is already running`);
    // The run folder in the command line is what the crash sweep finds (harness/workdir.ts).
    if (!argv.some((a) => a.includes(`${ctx.workDir}/`))) {
      throw new HarnessError(
        'PROVIDER_START',
        `${name}: command line names no path inside the run folder ${ctx.workDir}: a crash would leave it unfound`,
      );
    }
    this.#launch = { argv, env, logFile };
    this.#wanted = true;
    this.#restarts = 0;
    await this.#spawn().catch((err: unknown) => {
      this.#unwant();
      throw err;
    });
  }

  async #spawn(): Promise<void> {
    const { argv, env, logFile } = this.#launch as Launch;
    const { name, ctx } = this.opts;
    const [bin, ...args] = argv as [string, ...string[]];
    if (this.opts.mark !== false) {
      await appendFile(logFile, `${START_MARK}${name} at ${new Date().toISOString()}: ${argv.join(' ')}\n`);
    }
    const fd = openSync(logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn(bin, args, {
        detached: true,
        stdio: ['ignore', fd, fd],
        env: { ...env, DRILL_RUN_ID: ctx.runId },
      });
    } finally {
      closeSync(fd);
    }
    this.#child = child;
    this.#exited = new Promise((resolve) => child.once('exit', () => resolve()));
    child.once('exit', (code, signal) => void this.#onExit(child, code, signal));
    const err = await new Promise<Error | undefined>((resolve) => {
      child.once('spawn', () => resolve(undefined));
      child.once('error', (e) => resolve(e));
    });
    if (err)
      throw new HarnessError('PROVIDER_START', `${name}: cannot run ${bin}: ${err.message}`, { cause: err });
  }

  async #onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): Promise<void> {
    const exit = { at: new Date().toISOString(), how: code !== null ? `code ${code}` : `signal ${signal}` };
    // A child that never spawned has no exit to report: start() threw instead.
    if (child !== this.#child || child.pid === undefined) return;
    this.#lastExit = exit;
    if (!this.#wanted) return;
    const { name, ctx, restart, onExit } = this.opts;
    this.#exits.push(exit);
    ctx.log.debug('supervised process exited', { name, how: exit.how });
    await Promise.resolve(onExit?.(exit)).catch((e: unknown) =>
      ctx.log.warn(`could not record the exit of ${name}`, { error: String(e) }),
    );
    if (!restart || ctx.signal.aborted || !this.#wanted || child !== this.#child) return;
    const delays = restart.backoffMs;
    const delay = delays[Math.min(this.#restarts++, delays.length - 1)] ?? 0;
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = undefined;
      if (!this.#wanted || this.running || ctx.signal.aborted) return;
      // stop() and kill() wait for it: a restart they overtake must not leave a process behind.
      this.#restarting = this.#spawn()
        .catch((e: unknown) => ctx.log.warn(`supervisor could not restart ${name}`, { error: String(e) }))
        .finally(() => {
          this.#restarting = undefined;
        });
    }, delay);
    // A pending restart must not keep the CLI alive.
    this.#restartTimer.unref();
  }

  #unwant(): void {
    this.#wanted = false;
    if (this.#restartTimer) clearTimeout(this.#restartTimer);
    this.#restartTimer = undefined;
  }

  /** SIGTERM to the group, SIGKILL after graceMs; resolves once it exited. Never restarted after. */
  stop(graceMs: number): Promise<void> {
    return this.#end('SIGTERM', graceMs);
  }

  /** SIGKILL to the group; resolves once it exited. */
  kill(graceMs = 10_000): Promise<void> {
    return this.#end('SIGKILL', graceMs);
  }

  async #end(sig: NodeJS.Signals, graceMs: number): Promise<void> {
    this.#unwant();
    await this.#restarting;
    const pid = this.#child?.pid;
    if (pid === undefined || !this.running) return;
    const exited = this.#exited;
    signalGroup(pid, sig);
    // Unref: a pending grace timer must not keep the CLI alive after the process exited.
    const done = await Promise.race([exited.then(() => true), sleep(graceMs, false, { ref: false })]);
    if (!done) {
      this.opts.ctx.log.warn(`${this.opts.name} ignored ${sig} for ${graceMs} ms; killing it`);
      signalGroup(pid, 'SIGKILL');
      await exited;
    }
  }

  /** A signal to the whole group (SIGSTOP, SIGCONT). */
  signal(sig: NodeJS.Signals): void {
    const pid = this.#child?.pid;
    if (pid !== undefined && this.running) signalGroup(pid, sig);
  }

  /** Synchronous SIGKILL, for an abort: no awaiting, the harness is going down. */
  killNow(): void {
    this.#unwant();
    const pid = this.#child?.pid;
    if (pid !== undefined && this.running) signalGroup(pid, 'SIGKILL');
  }

  /** Lets the harness exit while the process runs on (--keep). */
  release(): void {
    this.#unwant();
    this.#child?.unref();
  }
}
