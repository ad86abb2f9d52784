import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureImage } from './cluster/image.ts';
import { resolveEtcd } from './etcd/dist.ts';
import { silentLogger } from './log.ts';
import {
  drillProcesses,
  kubeProcesses,
  labelled,
  needDocker,
  runFolders,
  waitForProgress,
} from './test-support/helpers.ts';
import { sweepLeftovers, workRoot } from './workdir.ts';

const bin = fileURLToPath(new URL('../bin/etcd-drill.js', import.meta.url));
const out = await mkdtemp(join(tmpdir(), 'drill-cli-'));
afterAll(() => rm(out, { recursive: true, force: true }));

function drill(args: string[]) {
  return execa('node', [bin, ...args], { reject: false, all: true, env: { CI: 'true' } });
}

/** Starts an S1 run, presses Ctrl-C once its restore is adding members, and returns the result. */
async function interruptDuringRestore(provider: 'process' | 'container') {
  // No force-kill after a delay: the test must see our own cleanup finish, however long it takes.
  const child = execa(
    'node',
    [bin, 'run', '--provider', provider, '--scenario', 's1-v3-snapshot-restore', '--out', out],
    {
      reject: false,
      all: true,
      forceKillAfterDelay: false,
    },
  );
  await waitForProgress(child, /member add etcd2 and start it …/);
  child.kill('SIGINT'); // once: a second Ctrl-C means "exit now, skip cleanup"
  return child;
}

/** Bad input: exit 2, one line naming problem and fix, nothing left behind. */
async function expectBadInput(args: string[], message: RegExp) {
  const before = runFolders();
  const res = await drill(['run', '--provider', 'process', '--out', join(out, 'bad'), ...args]);
  expect(res.exitCode, res.all).toBe(2);
  const errLines = res.stderr.split('\n').filter((l) => l.startsWith('etcd-drill: error:'));
  expect(errLines, res.stderr).toHaveLength(1);
  expect(errLines[0]).toMatch(message);
  expect(drillProcesses()).toHaveLength(0);
  expect(runFolders()).toEqual(before);
  return res;
}

describe('CLI: bad input', () => {
  it('--etcd 9.9.9 lists the versions it can provide', async () => {
    await expectBadInput(
      ['--etcd', '9.9.9'],
      /unknown etcd version "9\.9\.9": etcd-drill can provide 3\.3\.25, 3\.4\.23, 3\.5\.16, 3\.5\.30/,
    );
    expect(existsSync(join(out, 'bad'))).toBe(false);
  });

  it('--scenario nope lists the scenarios', async () => {
    await expectBadInput(['--scenario', 'nope'], /unknown scenario "nope": known are s1-v3-snapshot-restore/);
  });

  it('a port already in use is named with the fix', async () => {
    const srv: Server = createServer();
    const port = await new Promise<number>((r) =>
      srv.listen(0, '127.0.0.1', () => r((srv.address() as { port: number }).port)),
    );
    try {
      await expectBadInput(
        ['--base-port', String(port)],
        new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use: pick another --base-port`),
      );
    } finally {
      srv.close();
    }
  });

  it('a missing etcd binary is named', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'drill-nobin-'));
    try {
      await expectBadInput(['--etcd-bin-dir', empty], /missing etcd binary .*\/etcd/);
    } finally {
      await rm(empty, { recursive: true });
    }
  });

  it('a bad option value is refused by the parser, exit 2', async () => {
    const res = await drill(['run', '--objects', 'abc']);
    expect(res.exitCode, res.all).toBe(2);
    expect(res.stderr).toMatch(/argument 'abc' is invalid\. --objects must be a whole number >= 1/);
  });

  it('an unknown option or command is bad input, exit 2; --help and --version exit 0', async () => {
    expect((await drill(['run', '--no-such-flag'])).exitCode).toBe(2);
    expect((await drill(['no-such-command'])).exitCode).toBe(2);
    expect((await drill(['run', '--help'])).exitCode).toBe(0);
    expect((await drill(['--version'])).exitCode).toBe(0);
  });

  it('--out under /proc fails at once (it used to spin at 100% CPU), creating nothing', async () => {
    const t0 = Date.now();
    // Bounded: the bug this guards against never returns.
    const res = await execa('node', [bin, 'run', '--provider', 'process', '--out', '/proc/forbidden'], {
      reject: false,
      all: true,
      timeout: 30_000,
    });
    expect(res.timedOut, 'still running after 30 s').toBe(false);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(res.exitCode, res.all).toBe(2);
    expect(res.stderr.trim().split('\n')).toEqual([
      'etcd-drill: error: --out /proc/forbidden: cannot create a folder in /proc (ENOENT): give --out a folder you can write to',
    ]);
    expect(existsSync('/proc/forbidden')).toBe(false);
  });

  it('--out naming a regular file is named with the fix', async () => {
    const file = join(out, 'a-file');
    await writeFile(file, 'not a folder');
    await expectBadInput(['--out', file], /--out .*a-file is a file, not a folder: give --out a folder/);
    await expectBadInput(['--out', join(file, 'sub')], /lies under the file .*a-file, not a folder/);
    expect(await readFile(file, 'utf8')).toBe('not a folder');
    expect(existsSync(join(out, 'bad'))).toBe(false);
  });
});

describe('CLI: run, interruption and crashes', () => {
  it('`list` shows scenarios, versions and providers', async () => {
    const res = await drill(['list']);
    expect(res.exitCode).toBe(0);
    expect(res.stdout).toMatch(/s1-v3-snapshot-restore/);
    expect(res.stdout).toMatch(/3\.4\.23\s+Debian bookworm\s+cached/);
  });

  it('Ctrl-C during the restore stops everything it started and exits 130', async () => {
    const before = runFolders();
    const res = await interruptDuringRestore('process');
    expect(res.exitCode, res.all).toBe(130);
    expect(res.stderr).toMatch(/SIGINT: stopping and cleaning up/);
    expect(res.stdout).toMatch(/UNKNOWN \(harness error\)/);
    expect(res.stdout).toMatch(/Exit code 130: interrupted/);
    expect(drillProcesses()).toHaveLength(0);
    expect(runFolders()).toEqual(before);
  });

  it('Ctrl-C while the Kubernetes checks run stops the control plane and the cluster, exit 130', async () => {
    const before = runFolders();
    const child = execa(
      'node',
      [
        bin,
        'run',
        '--provider',
        'process',
        '--scenario',
        's5-v3-snapshot-all-members',
        '--k8s',
        '--out',
        out,
      ],
      { reject: false, all: true, forceKillAfterDelay: false },
    );
    await waitForProgress(child, /Kubernetes: checks with the components kept running, then restarted …/);
    child.kill('SIGINT');
    const res = await child;
    expect(res.exitCode, res.all).toBe(130);
    expect(kubeProcesses()).toHaveLength(0);
    expect(drillProcesses()).toHaveLength(0);
    expect(runFolders()).toEqual(before);
  });

  it('after a SIGKILLed run, the next sweep kills its etcd processes and removes its folder', async () => {
    const before = new Set(runFolders());
    const child = execa(
      'node',
      [bin, 'run', '--provider', 'process', '--scenario', 's1-v3-snapshot-restore', '--out', out],
      { reject: false },
    );
    await waitForProgress(child, /seed v3 fixture …/);
    child.kill('SIGKILL');
    await child;
    const crashed = runFolders().filter((f) => !before.has(f));
    expect(crashed).toHaveLength(1);
    const dir = join(workRoot(), crashed[0] ?? '');
    expect(drillProcesses(dir)).toHaveLength(3); // members outlive the harness: their own process group

    const swept = await sweepLeftovers(silentLogger);
    expect(swept.runs).toContain(crashed[0]);
    expect(swept.processes).toBe(3);
    expect(drillProcesses(dir)).toHaveLength(0);
    expect(existsSync(dir)).toBe(false);
  });
});

describe('CLI: --keep', () => {
  it('exits, leaves the cluster serving, and prints how to reach and remove it', async () => {
    const res = await drill([
      'run',
      '--provider',
      'process',
      '--scenario',
      's1-v3-snapshot-restore',
      '--keep',
      '--out',
      out,
    ]);
    expect(res.exitCode, res.all).toBe(0);
    const endpoints = /--endpoints (\S+)/.exec(res.stdout)?.[1]?.split(',') ?? [];
    expect(endpoints).toHaveLength(3);
    expect(res.stdout).toMatch(/Remove it with: npx etcd-drill clean/);
    expect(drillProcesses()).toHaveLength(3);
    const clean = await drill(['clean']);
    expect(clean.stdout).toMatch(/1 run folder\(s\), 3 process\(es\)/);
    expect(drillProcesses()).toHaveLength(0);
  });
});

describe('CLI: containers', () => {
  // Docker made unreachable for real: a private mount namespace hides the engine's socket.
  const withoutDocker = (args: string[]) =>
    execa(
      'unshare',
      [
        '--mount',
        'bash',
        '-c',
        'mount --bind /dev/null /var/run/docker.sock && exec "$@"',
        '--',
        'node',
        bin,
        ...args,
      ],
      {
        reject: false,
        env: { DOCKER_HOST: '' },
      },
    );

  it('--provider container without a Docker engine is one clear error naming the fix', async ({ skip }) => {
    needDocker(skip); // the socket to hide exists only where Docker runs
    const res = await withoutDocker(['run', '--provider', 'container', '--out', join(out, 'nodocker')]);
    expect(res.exitCode, res.stderr).toBe(2);
    expect(res.stderr).toMatch(
      /--provider container needs Docker, and no Docker engine answers: start a Docker engine .*ci\/docker\.sh.* or use --provider process/,
    );
    expect(existsSync(join(out, 'nodocker'))).toBe(false);
  });

  it('--provider auto without a Docker engine runs processes and says why', async ({ skip }) => {
    needDocker(skip);
    const res = await withoutDocker(['run', '--scenario', 's1-v3-snapshot-restore', '--out', out]);
    expect(res.exitCode, res.stderr).toBe(0);
    expect(res.stderr).toMatch(
      /provider process \(auto: no Docker engine answers, so members run as local processes\)/,
    );
    expect(res.stdout).toMatch(/\| s1-v3-snapshot-restore \| 3\.4\.23 \| process \|/);
  });

  it('--image of another etcd version is refused before anything starts', async ({ skip }) => {
    needDocker(skip);
    // The mismatching image must exist, whatever ran before: build it as the container provider would.
    await ensureImage(await resolveEtcd({ version: '3.5.30', log: silentLogger }), silentLogger);
    const before = await labelled();
    await expectBadInput(
      ['--provider', 'container', '--etcd', '3.4.23', '--image', 'etcd-drill/etcd:3.5.30'],
      /--image etcd-drill\/etcd:3\.5\.30 holds etcd 3\.5\.30, but etcd 3\.4\.23 was asked for/,
    );
    expect(await labelled()).toEqual(before);
  });

  it('Ctrl-C during a container restore removes every container and network of the run', async ({ skip }) => {
    needDocker(skip);
    const res = await interruptDuringRestore('container');
    expect(res.exitCode, res.all).toBe(130);
    expect(await labelled()).toEqual({ containers: [], networks: [] });
  });

  it('after a SIGKILLed container run, the next run sweeps its containers and network', async ({ skip }) => {
    needDocker(skip);
    const child = execa(
      'node',
      [bin, 'run', '--provider', 'container', '--scenario', 's1-v3-snapshot-restore', '--out', out],
      { reject: false },
    );
    await waitForProgress(child, /seed v3 fixture …/);
    child.kill('SIGKILL');
    await child;
    const left = await labelled();
    expect(left.containers).toHaveLength(3);
    expect(left.networks).toHaveLength(1);
    // The next run sweeps them before it starts anything of its own.
    const res = await drill([
      'run',
      '--provider',
      'container',
      '--scenario',
      's1-v3-snapshot-restore',
      '--out',
      out,
    ]);
    expect(res.exitCode, res.all).toBe(0);
    expect(res.stderr).toMatch(/swept Docker leftovers of earlier runs: 3 container\(s\), 1 network\(s\)/);
    expect(await labelled()).toEqual({ containers: [], networks: [] });
  });
});
