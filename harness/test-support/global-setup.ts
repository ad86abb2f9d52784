import { dockerClient, sweepContainers } from '../cluster/docker.ts';
import { resolveEtcd } from '../etcd/dist.ts';
import { createLogger } from '../log.ts';
import { sweepLeftovers } from '../workdir.ts';

/** Versions the integration tests run; fetched (or found cached) once before any test. */
export const TEST_VERSIONS = ['3.3.25', '3.4.23', '3.5.30'] as const;

export default async function setup(): Promise<void> {
  const log = createLogger();
  for (const v of TEST_VERSIONS) await resolveEtcd({ version: v, log });
  const docker = await dockerClient(5000);
  if (docker) await sweepContainers(docker, log);
  await sweepLeftovers(log);
}
