import { chmod, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Cluster, Member } from '../cluster/types.ts';
import { HarnessError, oneLine, type SerializedError, serializeError } from '../errors.ts';
import { fromRoot } from '../paths.ts';

/** systemctl's exit codes: 3 "unit is not active", 5 "unit not found". */
export const NOT_ACTIVE = 3;
export const NO_SUCH_UNIT = 5;

export interface Answer {
  readonly code: number;
  readonly stdout?: string;
  readonly stderr?: string;
}

// From the package root: the compiled package runs from dist/, and this file ships beside it.
const CLIENT = fromRoot('harness', 'runbook', 'service-client.mjs');

/** A unit name as a script gives it: `etcd1` or `etcd1.service`. */
export function unitMember(cluster: Cluster, unit: string): Member | undefined {
  const name = unit.replace(/\.service$/, '');
  return cluster.members.find((m) => m.name === name);
}

/** What `systemctl status` would print, enough of it for a script (and an operator reading the report). */
export async function statusText(m: Member): Promise<string> {
  const state = m.running
    ? 'active (running)'
    : m.paused
      ? 'active (paused by etcd-drill)'
      : 'inactive (dead)';
  const tail = await m.logTail(10);
  return [
    `● ${m.name}.service - etcd member ${m.name} (etcd-drill)`,
    `     Loaded: loaded (environment ${m.envFile ?? '(flags)'})`,
    `     Active: ${state}`,
    '',
    ...tail.split('\n').map((l) => `  ${l}`),
    '',
  ].join('\n');
}

/**
 * A unit call that failed on the harness's side: a provider error, a port another process holds, a
 * start that timed out. What the script did after it is no finding about the runbook.
 */
export interface ServiceFault {
  readonly verb: string;
  readonly unit: string;
  readonly error: SerializedError;
}

/** An answer, and the harness's own error behind it when there was one (kept by the server, not sent). */
export interface Served extends Answer {
  readonly fault?: unknown;
}

/**
 * The unit's own failure: etcd exited by itself on start (it refused the configuration its env file
 * gives it), or the env file, which the runbook edits, cannot be read. Anything else is ours.
 */
export function unitsOwn(err: unknown): boolean {
  return (
    err instanceof HarnessError &&
    (err.details?.exitedByItself === true || typeof err.details?.envFile === 'string')
  );
}

/** A failed call as systemctl words it, and whose failure it was. */
async function failed(m: Member, err: unknown): Promise<Served> {
  const tail = await m.logTail(15);
  const ours = !unitsOwn(err);
  const whose = ours ? " (etcd-drill's own failure, not the unit's: the drill will say unknown)" : '';
  return {
    code: 1,
    stderr: `Job for ${m.name}.service failed: ${oneLine(err)}${whose}\n${tail ? `${tail}\n` : ''}`,
    ...(ours ? { fault: err } : {}),
  };
}

/** One verb on one unit, answered as systemctl would (exit code and text). */
export async function serviceCall(cluster: Cluster, verb: string, unit: string): Promise<Served> {
  const m = unitMember(cluster, unit);
  if (!m)
    return {
      code: NO_SUCH_UNIT,
      stderr: `Unit ${unit} not found (members: ${cluster.members.map((x) => x.name).join(' ')}).\n`,
    };
  try {
    switch (verb) {
      case 'status':
        return { code: m.running ? 0 : NOT_ACTIVE, stdout: await statusText(m) };
      case 'is-active':
        return m.running ? { code: 0, stdout: 'active\n' } : { code: NOT_ACTIVE, stdout: 'inactive\n' };
      case 'start':
        // A unit being started by another call: systemctl waits for it, and so does this.
        while (m.starting) await sleep(100);
        if (!m.running) await m.start({ state: 'new' }); // the env file decides; the options are not read
        return { code: 0 };
      case 'stop':
        await m.stop();
        return { code: 0 };
      case 'restart':
        await m.stop();
        await m.start({ state: 'new' });
        return { code: 0 };
      default:
        return { code: 2, stderr: `Unknown command verb ${verb}.\n` };
    }
  } catch (err) {
    return failed(m, err);
  }
}

export interface UnitService extends AsyncDisposable {
  /** The executable a script calls: $ETCD_DRILL_SERVICE. */
  readonly command: string;
  /** The harness's own failures so far: the server's, and the client's when it found no server. */
  faults(): Promise<ServiceFault[]>;
}

/** What the client appends when it cannot reach the server (the server cannot know): one JSON line each. */
async function clientFaults(file: string): Promise<ServiceFault[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as ServiceFault);
}

/** A unix socket path short enough for the kernel (108 bytes), in the cluster folder when it fits. */
function socketPath(dir: string, id: string): string {
  const near = join(dir, 'service.sock');
  return near.length < 100 ? near : join(tmpdir(), `etcd-drill-${id}.sock`);
}

/**
 * Serves the members as units while a runbook script runs: the script's `$ETCD_DRILL_SERVICE start
 * etcd1` reaches this process over a unix socket, so the harness keeps owning (labelling, sweeping,
 * stopping on Ctrl-C) every member the script starts.
 */
export async function serveUnits(cluster: Cluster, dir: string): Promise<UnitService> {
  const sock = socketPath(dir, cluster.ctx.runId);
  const faultFile = `${sock}.faults`;
  await rm(sock, { force: true });
  await rm(faultFile, { force: true });
  const faults: ServiceFault[] = [];
  const server: Server = createServer((req, res) => {
    const [, verb = '', unit = ''] = (req.url ?? '').split('/');
    void serviceCall(cluster, verb, decodeURIComponent(unit))
      .catch((err): Served => ({ code: 1, stderr: `etcd-drill service: ${oneLine(err)}\n`, fault: err }))
      .then(({ fault, ...a }) => {
        if (fault) faults.push({ verb, unit, error: serializeError(fault) });
        cluster.ctx.log.debug('runbook service call', { verb, unit, code: a.code, ours: !!fault });
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(a));
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(sock, () => resolve());
  });
  const command = join(dir, 'etcd-drill-service');
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  await writeFile(command, `#!/bin/sh\nexec ${q(process.execPath)} ${q(CLIENT)} ${q(sock)} "$@"\n`);
  await chmod(command, 0o755);
  return {
    command,
    async faults() {
      return [...faults, ...(await clientFaults(faultFile))];
    },
    async [Symbol.asyncDispose]() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(sock, { force: true });
      await rm(faultFile, { force: true });
    },
  };
}
