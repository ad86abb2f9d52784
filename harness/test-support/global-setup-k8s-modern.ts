import { resolveEtcd } from '../etcd/dist.ts';
import { resolveModernK8s } from '../k8s/modern-dist.ts';
import { createLogger } from '../log.ts';
import { sweepLeftovers } from '../workdir.ts';

/**
 * The k8s-modern project's setup: etcd 3.5.30 and the 1.36 binary (built once per machine, ~7 min;
 * `npm run test:k8s-modern` has usually done it), so no test's own timeout pays for them. Not the
 * integration setup: that one builds Kubernetes 1.20 too, which these tests do not need.
 */
export default async function setup(): Promise<void> {
  const log = createLogger();
  await resolveEtcd({ version: '3.5.30', log });
  await resolveModernK8s({ log });
  await sweepLeftovers(log);
}
