/** kubeadm's etcd static pod manifest, rewritten for one start of a member (pure, so unit-tested). */
import { parseDocument } from 'yaml';
import { HarnessError } from '../errors.ts';

/** `--flag value`, `--flag=value` and bare `--flag` (true) as one map, the last of a repeated flag winning as etcd's does. */
export function flagMap(args: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (!a.startsWith('--'))
      throw new HarnessError('STRATEGY', `not an etcd flag: "${a}" in ${args.join(' ')}`);
    const eq = a.indexOf('=');
    if (eq > 0) out[a.slice(2, eq)] = a.slice(eq + 1);
    else if (i + 1 < args.length && !(args[i + 1] as string).startsWith('--'))
      out[a.slice(2)] = args[++i] as string;
    else out[a.slice(2)] = 'true';
  }
  return out;
}

/**
 * The manifest with etcd's command made of kubeadm's flags overlaid by the start's: the procedure's
 * flags (initial cluster, state, --force-new-cluster, a deployment's) win; kubeadm's certificates and
 * its data dir (/var/lib/etcd, a hostPath volume) stay. An annotation numbers the start, so a start
 * with the same flags as an earlier one is still a new pod to kubelet.
 */
export function etcdManifest(kubeadm: string, args: readonly string[], launch: number): string {
  const doc = parseDocument(kubeadm);
  const command = doc.getIn(['spec', 'containers', 0, 'command']) as { toJSON(): unknown } | undefined;
  const argv = command?.toJSON() as string[] | undefined;
  if (argv?.[0] !== 'etcd')
    throw new HarnessError('PROVIDER_START', 'the etcd static pod manifest has no etcd command to rewrite');
  const { 'data-dir': _ours, ...wanted } = flagMap(args);
  const flags = { ...flagMap(argv.slice(1)), ...wanted };
  doc.setIn(
    ['spec', 'containers', 0, 'command'],
    ['etcd', ...Object.entries(flags).map(([k, v]) => `--${k}=${v}`)],
  );
  doc.setIn(['metadata', 'annotations', 'etcd-drill/start'], String(launch));
  return doc.toString();
}
