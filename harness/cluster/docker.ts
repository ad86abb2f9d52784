import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ContainerRuntimeClient } from 'testcontainers';
import { HarnessError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { isAbandoned } from '../workdir.ts';

/** Labels on every container and network the harness makes; the sweep finds leftovers by them. */
export const LABEL_RUN = 'etcd-drill.run';
export const LABEL_OWNER = 'etcd-drill.owner-pid';

export function runLabels(runId: string): Record<string, string> {
  return { [LABEL_RUN]: runId, [LABEL_OWNER]: String(process.pid) };
}

// The reaper image cannot be pulled here (no registry), so cleanup is ours: labels plus sweeps.
// Set before testcontainers first reads its configuration, which it does lazily.
process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';

export const DOCKER_FIX =
  'start a Docker engine (on Debian, as root: bash ci/docker.sh) or use --provider process';

/** The Docker client, or undefined when no engine answers within the timeout. */
export async function dockerClient(timeoutMs = 8000): Promise<ContainerRuntimeClient | undefined> {
  try {
    // Loaded here, not at the top: testcontainers takes ~0.3 s to load, and most commands never need it.
    const { getContainerRuntimeClient } = await import('testcontainers');
    return await Promise.race([
      getContainerRuntimeClient(),
      sleep(timeoutMs, undefined, { ref: false }).then(() => {
        throw new Error('timed out');
      }),
    ]);
  } catch {
    return undefined;
  }
}

/**
 * Whether a Docker engine answers, for `list`, which only reports it: a ping of the local socket first
 * (DOCKER_HOST's unix socket, else /var/run/docker.sock), so the common case does not load
 * testcontainers; anything else (no socket, no answer, tcp://) is asked of testcontainers as a run would.
 */
export async function dockerAnswers(timeoutMs = 3000): Promise<boolean> {
  const host = process.env.DOCKER_HOST;
  const socketPath = !host ? '/var/run/docker.sock' : host.startsWith('unix://') ? host.slice(7) : undefined;
  if (socketPath && existsSync(socketPath) && (await pings(socketPath, timeoutMs))) return true;
  return (await dockerClient(timeoutMs)) !== undefined;
}

function pings(socketPath: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping', timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

export async function requireDocker(): Promise<ContainerRuntimeClient> {
  const client = await dockerClient();
  if (!client)
    throw new HarnessError(
      'BAD_INPUT',
      `--provider container needs Docker, and no Docker engine answers: ${DOCKER_FIX}`,
    );
  return client;
}

/** Removes containers and networks of runs whose owner is gone (kept runs only with includeKept). */
export async function sweepContainers(
  client: ContainerRuntimeClient,
  log: Logger,
  opts: { includeKept?: boolean; only?: string } = {},
): Promise<{ containers: number; networks: number }> {
  const docker = client.container.dockerode;
  const filters = { label: [LABEL_RUN] };
  const leftover = (labels: Record<string, string> | undefined) => {
    const run = labels?.[LABEL_RUN];
    if (!run || (opts.only && run !== opts.only)) return false;
    return isAbandoned(run, Number(labels?.[LABEL_OWNER] ?? 0), opts.includeKept ?? false);
  };
  let containers = 0;
  for (const c of await docker.listContainers({ all: true, filters })) {
    if (!leftover(c.Labels)) continue;
    await docker
      .getContainer(c.Id)
      .remove({ force: true })
      .catch(() => {});
    containers++;
  }
  let networks = 0;
  for (const n of await docker.listNetworks({ filters })) {
    if (!leftover(n.Labels)) continue;
    await docker
      .getNetwork(n.Id)
      .remove()
      .catch(() => {});
    networks++;
  }
  if (containers + networks > 0) {
    log.progress(
      `swept Docker leftovers of earlier runs: ${containers} container(s), ${networks} network(s)`,
    );
  }
  return { containers, networks };
}
