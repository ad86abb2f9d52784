/**
 * kind on this machine (issue 14, parts 1-2): three stacked control-plane nodes from images built
 * here, while Docker drops container traffic to the outside (the DOCKER-USER rule ci/docker.sh adds). Slow: an image
 * build on first use (~5 min with the binaries cached), then ~2 min per cluster on 2 cores.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../log.ts';
import { docker } from '../test-support/helpers.ts';
import { workRoot } from '../workdir.ts';
import { createKindCluster, KIND_CLUSTER_PREFIX, type KindCluster, sweepKindClusters } from './cluster.ts';
import { WORKLOAD_IMAGE } from './images.ts';
import { type KindPrepared, prepareKind } from './prepare.ts';

const ETCD = '3.5.30';
const RUN_ID = `test-${process.pid}`;
const log = createLogger({ quiet: true });

describe(`kind: 3 control-plane nodes, stacked etcd ${ETCD}, built here`, () => {
  let prepared: KindPrepared;
  let cluster: KindCluster | undefined;

  beforeAll(async () => {
    // Asked for by name (npm run test:kind), so no Docker is a failure, never a skip.
    if (!docker) throw new Error('kind needs a Docker engine and none answers: as root, bash ci/docker.sh');
    prepared = await prepareKind({ etcdVersion: ETCD, log });
    cluster = await createKindCluster({ runId: RUN_ID, prepared, log });
  }, 1_800_000);
  afterAll(async () => {
    await cluster?.delete();
  }, 120_000);

  it('Docker drops container traffic leaving the machine (the rule is there while the cluster runs)', async () => {
    const iface = (await execa('sh', ['-c', "ip route show default | awk '{print $5; exit}'"])).stdout.trim();
    const rules = await execa('iptables', ['-S', 'DOCKER-USER']);
    expect(rules.stdout).toContain(`-A DOCKER-USER -o ${iface} -j DROP`);
  });

  it(`runs a 3-member etcd ${ETCD} as kubeadm static pods, one per control-plane node`, async () => {
    const c = cluster as KindCluster;
    expect(c.controlPlanes).toHaveLength(3);
    const etcdctl = [
      'exec',
      '-n',
      'kube-system',
      `etcd-${c.controlPlanes[0]}`,
      '--',
      'etcdctl',
      '--cacert',
      '/etc/kubernetes/pki/etcd/ca.crt',
      '--cert',
      '/etc/kubernetes/pki/etcd/server.crt',
      '--key',
      '/etc/kubernetes/pki/etcd/server.key',
      '--endpoints',
      'https://127.0.0.1:2379',
    ];
    const members = JSON.parse(await c.kubectl([...etcdctl, 'member', 'list', '-w', 'json'])) as {
      members: { name: string; clientURLs?: string[] }[];
    };
    expect(members.members.map((m) => m.name).sort()).toEqual([...c.controlPlanes].sort());
    expect(members.members.every((m) => (m.clientURLs ?? []).length === 1)).toBe(true);
    const status = await c.kubectl([...etcdctl, 'endpoint', 'status', '-w', 'json']);
    expect(JSON.parse(status)[0].Status.version).toBe(ETCD);
    // The same version's tools on every node, for the drills' offline steps (snapshot restore).
    for (const node of c.controlPlanes) {
      const v = await execa('docker', ['exec', node, 'etcdutl', 'version']);
      expect(v.stdout).toContain(`etcdutl version: ${ETCD}`);
    }
  });

  it('every node is Ready on the pod network we installed, and a Deployment of a local image runs pods that answer', async () => {
    const c = cluster as KindCluster;
    await c.kubectl(['wait', '--for=condition=Ready', 'node', '--all', '--timeout=120s']);
    await c.kubectl(['apply', '-f', '-'], workload(3));
    await c.kubectl(['rollout', 'status', 'deployment/web', '--timeout=180s']);
    const pods = JSON.parse(await c.kubectl(['get', 'pods', '-l', 'app=web', '-o', 'json'])) as {
      items: { metadata: { name: string }; status: { podIP: string; phase: string } }[];
    };
    expect(pods.items.map((p) => p.status.phase)).toEqual(['Running', 'Running', 'Running']);
    // One pod per node (the spread constraint), each asked from the third node: the routes between
    // the nodes' pod CIDRs work. bash, since the node's sh (dash) has no /dev/tcp.
    const from = c.controlPlanes[2] as string;
    for (const p of pods.items) {
      const get = `exec 3<>/dev/tcp/${p.status.podIP}/8080 && printf 'GET / HTTP/1.0\\r\\n\\r\\n' >&3 && cat <&3`;
      const r = await execa('docker', ['exec', from, 'bash', '-c', get], { reject: false });
      expect(r.stdout).toContain(p.metadata.name);
    }
  });

  it('the sweep (etcd-drill clean) removes a cluster whose run is gone: no container, network or cluster left', async () => {
    const c = cluster as KindCluster;
    // As if this run had crashed: its run folder names an owner process that has exited.
    const gone = execa('true');
    await gone;
    await mkdir(join(workRoot(), RUN_ID), { recursive: true });
    await writeFile(join(workRoot(), RUN_ID, 'owner.json'), JSON.stringify({ pid: gone.pid, startedAt: '' }));
    const swept = await sweepKindClusters(prepared.kind.kind, log, { only: RUN_ID });
    await rm(join(workRoot(), RUN_ID), { recursive: true, force: true });
    expect(swept).toBe(1);
    cluster = undefined;
    const clusters = await execa(prepared.kind.kind, ['get', 'clusters']);
    expect(clusters.stdout.split('\n').filter((n) => n === c.name)).toEqual([]);
    const containers = await execa('docker', [
      'ps',
      '-a',
      '--filter',
      `label=io.x-k8s.kind.cluster=${c.name}`,
      '-q',
    ]);
    expect(containers.stdout.trim()).toBe('');
    const nets = await execa('docker', [
      'network',
      'ls',
      '--filter',
      `name=${KIND_CLUSTER_PREFIX}`,
      '--format',
      '{{.Name}}',
    ]);
    expect(nets.stdout.split('\n')).not.toContain(c.network);
  });
});

function workload(replicas: number): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      tolerations: [{key: node-role.kubernetes.io/master, effect: NoSchedule}]
      topologySpreadConstraints: [{maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {app: web}}}]
      containers:
      - name: web
        image: ${WORKLOAD_IMAGE}
        imagePullPolicy: Never
        command: [busybox, sh, -c, 'mkdir -p /tmp/www && busybox hostname > /tmp/www/index.html && exec busybox httpd -f -p 8080 -h /tmp/www']
`;
}
