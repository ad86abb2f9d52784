import { dockerClient, sweepContainers } from '../cluster/docker.ts';
import { resolveEtcd } from '../etcd/dist.ts';
import { resolveK8s } from '../k8s/dist.ts';
import { createLogger } from '../log.ts';
import { sweepLeftovers } from '../workdir.ts';

/** Versions the integration tests run; fetched (or found cached) once before any test. */
export const TEST_VERSIONS = ['3.3.25', '3.4.23', '3.5.30'] as const;

export default async function setup(): Promise<void> {
  const log = createLogger();
  for (const v of TEST_VERSIONS) await resolveEtcd({ version: v, log });
  // Built once per machine (~8 min on 2 cores; ci/setup.sh usually has done it): no test's own timeout pays for it.
  await resolveK8s({ log });
  const docker = await dockerClient(5000);
  if (docker) await sweepContainers(docker, log);
  await sweepLeftovers(log);
}
