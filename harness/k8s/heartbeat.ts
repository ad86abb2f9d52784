/**
 * A kubelet's part, played by the harness (no kubelet runs here): Ready Node objects and their
 * heartbeat, so the scheduler can bind pods and the node lifecycle controller leaves the nodes alone.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { HarnessError } from '../errors.ts';
import type { KubeApi } from './api.ts';
import type { KObject } from './objects.ts';

/** As a kubelet's: renew the node's Lease, re-post Ready when it is not True. */
const HEARTBEAT_MS = 2000;
const NODE_LEASE_SECONDS = 40;

/** The Node a kubelet would register: Ready, with capacity for plenty of small pods. */
export function nodeObject(name: string, now = new Date()): KObject {
  const ts = now.toISOString();
  const resources = { cpu: '8', memory: '16Gi', pods: '110' };
  return {
    metadata: {
      name,
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'etcd-drill.io/node': 'true',
      },
    },
    spec: {},
    status: {
      capacity: resources,
      allocatable: resources,
      conditions: [readyCondition(ts, ts)],
      addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
    },
  };
}

function readyCondition(heartbeat: string, transition: string) {
  return {
    type: 'Ready',
    status: 'True',
    reason: 'KubeletReady',
    message: 'etcd-drill heartbeat (no kubelet runs)',
    lastHeartbeatTime: heartbeat,
    lastTransitionTime: transition,
  };
}

/** MicroTime: the apiserver parses exactly six fractional digits. */
export function microTime(d = new Date()): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** Whether a Node is as the heartbeat wants it: Ready True, beaten within `maxAgeMs`. */
export function nodeFresh(node: KObject, now: number, maxAgeMs: number): boolean {
  const ready = (
    node.status?.conditions as { type: string; status: string; lastHeartbeatTime?: string }[] | undefined
  )?.find((c) => c.type === 'Ready');
  if (ready?.status !== 'True' || !ready.lastHeartbeatTime) return false;
  return now - Date.parse(ready.lastHeartbeatTime) < maxAgeMs;
}

/**
 * Why a heartbeat and not `--controllers=*,-nodelifecycle`: the node lifecycle controller is one of
 * the controllers a drill wants running on restored data, and the TaintNodesByCondition admission
 * plugin taints every new Node not-ready, which only that controller removes. So the harness does a
 * kubelet's part: renew each node's Lease in kube-node-lease and re-post Ready=True when the
 * condition is not True or old. It reads before each write (never caches a resourceVersion), so it
 * recovers by itself after an outage or a restore, as a kubelet does.
 */
export class Heartbeat {
  failures = 0;
  lastOkAt: string | undefined;
  lastError: string | undefined;
  #stopped = false;
  #done: Promise<void> = Promise.resolve();
  readonly #wake = new AbortController();

  constructor(
    readonly api: KubeApi,
    readonly nodes: readonly string[],
  ) {}

  /** Registers the nodes (retrying while the apiserver finishes bootstrapping kube-node-lease), then beats on. */
  async start(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await this.beat();
        break;
      } catch (err) {
        if (Date.now() > deadline)
          throw new HarnessError(
            'PROVIDER_START',
            `could not register the nodes: ${err instanceof Error ? err.message : String(err)}`,
            { cause: err },
          );
        await sleep(500);
      }
    }
    this.lastOkAt = new Date().toISOString();
    this.#done = this.#loop();
  }

  async #loop(): Promise<void> {
    while (!this.#stopped) {
      await sleep(HEARTBEAT_MS, undefined, { ref: false, signal: this.#wake.signal }).catch(() => {});
      if (this.#stopped) break;
      try {
        await this.beat();
        this.failures = 0;
        this.lastOkAt = new Date().toISOString();
        this.lastError = undefined;
      } catch (err) {
        this.failures++;
        this.lastError = err instanceof Error ? err.message : String(err);
      }
    }
  }

  async beat(): Promise<void> {
    await Promise.all(this.nodes.map((n) => this.#beatNode(n)));
  }

  async #beatNode(name: string): Promise<void> {
    const now = new Date();
    const leaseRef = { kind: 'Lease', namespace: 'kube-node-lease', name } as const;
    const lease = await this.api.get(leaseRef);
    if (lease) {
      lease.spec = { ...lease.spec, renewTime: microTime(now) };
      await this.api.replace('Lease', lease);
    } else {
      await this.api.create('Lease', {
        metadata: { name, namespace: 'kube-node-lease' },
        spec: { holderIdentity: name, leaseDurationSeconds: NODE_LEASE_SECONDS, renewTime: microTime(now) },
      });
    }
    const node = await this.api.get({ kind: 'Node', name });
    if (!node) {
      await this.api.create('Node', nodeObject(name, now));
      return;
    }
    // A kubelet re-posts status every 10 s without leases; with leases only on change. Ready within
    // 20 s keeps the object quiet while the node lifecycle controller is content.
    if (nodeFresh(node, now.getTime(), 20_000)) return;
    const ts = now.toISOString();
    const others = ((node.status?.conditions ?? []) as { type: string }[]).filter((c) => c.type !== 'Ready');
    const was = (
      node.status?.conditions as { type: string; status: string; lastTransitionTime?: string }[] | undefined
    )?.find((c) => c.type === 'Ready');
    const transition = was?.status === 'True' && was.lastTransitionTime ? was.lastTransitionTime : ts;
    node.status = { ...node.status, conditions: [...others, readyCondition(ts, transition)] };
    await this.api.replaceNodeStatus(node);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake.abort();
    await this.#done;
  }
}
