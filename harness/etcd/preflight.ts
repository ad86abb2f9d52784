import { etcdArgs } from '../cluster/base.ts';
import type { ClusterPki } from '../tls.ts';
import type { EtcdDist } from './dist.ts';
import { gateEtcd, helpFlags, missingFlags, toolHelp } from './help.ts';

/**
 * The flags every drill needs, checked against the binaries' own --help before anything is created:
 * an etcd that lacks one fails here with its name (exit 2), not as a usage dump from a member's start.
 * Flags only some drills pass are gated where they are used (faults' and strategies' supports()).
 */
export async function preflightFlags(dist: EtcdDist, o: { tls: boolean }): Promise<void> {
  await gateEtcd(dist, sampleEtcdArgs(o.tls));
  const ctl = ['--endpoints', '--command-timeout', ...(o.tls ? ['--cacert', '--cert', '--key'] : [])];
  await requireFlags(dist.etcdctl, [], ctl, `etcdctl of etcd ${dist.version}`);
  // 3.5 moved snapshot restore to etcdutl; before it etcdctl has it.
  const restorer = dist.etcdutl ?? dist.etcdctl;
  const restore = [
    '--name',
    '--data-dir',
    '--initial-cluster',
    '--initial-cluster-token',
    '--initial-advertise-peer-urls',
  ];
  const tool = `${dist.etcdutl ? 'etcdutl' : 'etcdctl'} snapshot restore of etcd ${dist.version}`;
  await requireFlags(restorer, ['snapshot', 'restore'], restore, tool);
}

async function requireFlags(
  binary: string,
  command: string[],
  wanted: string[],
  tool: string,
): Promise<void> {
  const defined = helpFlags(await toolHelp(binary, command));
  const missing = wanted.filter((f) => !defined.has(f));
  if (missing.length > 0) throw missingFlags(tool, missing);
}

/** A member's argv as the providers build it (paths and URLs stand in): the flags, not the values, matter. */
function sampleEtcdArgs(tls: boolean): string[] {
  const url = 'http://127.0.0.1:2379';
  const urls = { listenClient: url, advertiseClient: url, listenPeer: url, advertisePeer: url };
  const cert = { cert: '/c', key: '/k' };
  const pki = tls
    ? ({ caFile: '/ca', members: { m: cert }, client: cert } as unknown as ClusterPki)
    : undefined;
  const spec = { size: 1, token: 't', enableV2: false };
  return etcdArgs('m', '/d', urls, spec, pki, { state: 'new', forceNewCluster: true }, `m=${url}`);
}
