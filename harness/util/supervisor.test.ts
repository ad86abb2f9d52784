import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HarnessError } from '../errors.ts';
import { silentLogger } from '../log.ts';
import { type ProcessExit, START_MARK, Supervised, type SupervisorOptions } from './supervisor.ts';

let dir: string;
let abort: AbortController;
const live: Supervised[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'supervisor-test-'));
  abort = new AbortController();
});

afterEach(async () => {
  for (const s of live.splice(0)) s.killNow();
  await rm(dir, { recursive: true, force: true });
});

function supervised(opts: Partial<SupervisorOptions> = {}): Supervised {
  const ctx = { runId: 'run-1', workDir: dir, log: silentLogger, signal: abort.signal };
  const s = new Supervised({ name: 'proc', ctx, ...opts });
  live.push(s);
  return s;
}

/** `sh -c script` with the run folder as $0: the label a crash sweep looks for. */
function sh(script: string): string[] {
  return ['sh', '-c', script, `${dir}/label`];
}

/** Gone or a zombie (nobody may reap an orphan in a container). */
function dead(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z') ?? true;
  } catch {
    return true;
  }
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(20);
  }
}

const log = () => join(dir, 'proc.log');
const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };

describe('Supervised', () => {
  it('runs the child in its own process group, labelled, its output after a start line in the log', async () => {
    const s = supervised();
    await s.start(sh('echo "hello $DRILL_RUN_ID"; sleep 30'), env, log());
    const pid = s.pid as number;
    expect(s.running).toBe(true);
    // Field 5 of /proc/<pid>/stat is the process group: its own, not ours (Ctrl-C reaches only us).
    const pgid = Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[2]);
    expect(pgid).toBe(pid);
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8')).toContain(`${dir}/`);
    await until(() => readFileSync(log(), 'utf8').includes('hello run-1'));
    const text = await readFile(log(), 'utf8');
    expect(text.indexOf(`${START_MARK}proc at `)).toBeLessThan(text.indexOf('hello run-1'));
  });

  it('refuses a command line that does not name the run folder', async () => {
    const s = supervised();
    await expect(s.start(['sleep', '30'], env, log())).rejects.toThrow(/names no path inside the run folder/);
    expect(s.running).toBe(false);
    expect(existsSync(log())).toBe(false);
  });

  it('throws at once when the binary cannot run, and is not wanted after', async () => {
    const s = supervised();
    const err = await s.start([`${dir}/no-such-binary`], env, log()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HarnessError);
    expect((err as HarnessError).code).toBe('PROVIDER_START');
    expect((err as Error).message).toMatch(/cannot run .*no-such-binary: .*ENOENT/);
    expect(s.running).toBe(false);
    expect(s.wanted).toBe(false);
  });

  it('stop() ends the whole group with SIGTERM; an expected exit is not an exit to report', async () => {
    const exits: ProcessExit[] = [];
    const s = supervised({ onExit: (e) => void exits.push(e) });
    await s.start(sh(`sleep 300 & echo $! > ${dir}/grandchild; wait`), env, log());
    await until(
      () =>
        existsSync(join(dir, 'grandchild')) && readFileSync(join(dir, 'grandchild'), 'utf8').trim() !== '',
    );
    const grandchild = Number(readFileSync(join(dir, 'grandchild'), 'utf8'));
    await s.stop(5000);
    expect(s.running).toBe(false);
    expect(s.lastExit?.how).toBe('signal SIGTERM');
    await until(() => dead(grandchild));
    expect(exits).toEqual([]);
    expect(s.exits()).toEqual([]);
  });

  it('stop() sends SIGKILL once the grace is over', async () => {
    const s = supervised();
    // An ignored signal stays ignored across exec: sleep ignores SIGTERM too.
    await s.start(sh(`trap '' TERM; echo armed > ${dir}/armed; exec sleep 300`), env, log());
    await until(() => existsSync(join(dir, 'armed')));
    const t0 = Date.now();
    await s.stop(300);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    expect(s.lastExit?.how).toBe('signal SIGKILL');
  });

  it('kill() ends it with SIGKILL at once', async () => {
    const s = supervised();
    await s.start(sh('exec sleep 300'), env, log());
    await s.kill();
    expect(s.running).toBe(false);
    expect(s.lastExit?.how).toBe('signal SIGKILL');
    expect(s.exits()).toEqual([]);
  });

  it('records an exit nobody asked for, and without a restart policy leaves it down', async () => {
    const exits: ProcessExit[] = [];
    const s = supervised({ onExit: (e) => void exits.push(e) });
    await s.start(sh('exit 3'), env, log());
    await until(() => exits.length > 0);
    await sleep(200);
    expect(exits.map((e) => e.how)).toEqual(['code 3']);
    expect(s.exits().map((e) => e.how)).toEqual(['code 3']);
    expect(s.running).toBe(false);
    expect(s.wanted).toBe(true);
  });

  it('restarts after an unexpected exit, with the backoff, and stops restarting on stop()', async () => {
    const seen: string[] = [];
    const s = supervised({
      restart: { backoffMs: [50, 300] },
      // The restart waits for onExit: the log it reads is still the exited run's.
      onExit: async () => {
        const text = await readFile(log(), 'utf8');
        seen.push(text.slice(text.lastIndexOf(START_MARK)).trim().split('\n').at(-1) ?? '');
      },
    });
    await s.start(
      sh(`n=$(cat ${dir}/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > ${dir}/n; echo "run $n"; exit 1`),
      env,
      log(),
    );
    // An exit is recorded before its onExit runs: wait for the third onExit too.
    await until(() => s.exits().length >= 3 && seen.length >= 3);
    await s.stop(1000);
    const runs = Number(readFileSync(join(dir, 'n'), 'utf8'));
    const gap = Date.parse(s.exits()[2]?.at ?? '') - Date.parse(s.exits()[1]?.at ?? '');
    expect(gap).toBeGreaterThanOrEqual(290);
    expect(seen.slice(0, 3)).toEqual(['run 1', 'run 2', 'run 3']);
    await sleep(700);
    expect(Number(readFileSync(join(dir, 'n'), 'utf8'))).toBe(runs);
    expect((await readFile(log(), 'utf8')).split(START_MARK).length - 1).toBe(runs);
  });

  it('does not restart after an abort', async () => {
    const s = supervised({ restart: { backoffMs: [50] } });
    await s.start(sh(`echo x >> ${dir}/runs; exec sleep 300`), env, log());
    await until(() => existsSync(join(dir, 'runs')));
    abort.abort();
    process.kill(s.pid as number, 'SIGKILL');
    await until(() => !s.running);
    await sleep(300);
    expect(readFileSync(join(dir, 'runs'), 'utf8')).toBe('x\n');
    expect(s.exits().map((e) => e.how)).toEqual(['signal SIGKILL']);
  });

  it('start() is refused while running', async () => {
    const s = supervised();
    await s.start(sh('exec sleep 300'), env, log());
    await expect(s.start(sh('exec sleep 300'), env, log())).rejects.toThrow(/already running/);
  });
});
