/**
 * Kubernetes objects as the harness handles them: a kind, an identity, plain JSON. No client here,
 * so comparisons and fixtures load without one.
 */
import { HarnessError } from '../errors.ts';

/** The kinds the harness creates, lists and compares. */
export const KINDS = {
  Namespace: { api: 'core', apiVersion: 'v1', namespaced: false, etcd: 'namespaces' },
  Node: { api: 'core', apiVersion: 'v1', namespaced: false, etcd: 'minions' },
  Pod: { api: 'core', apiVersion: 'v1', namespaced: true, etcd: 'pods' },
  Service: { api: 'core', apiVersion: 'v1', namespaced: true, etcd: 'services/specs' },
  Endpoints: { api: 'core', apiVersion: 'v1', namespaced: true, etcd: 'services/endpoints' },
  ConfigMap: { api: 'core', apiVersion: 'v1', namespaced: true, etcd: 'configmaps' },
  Secret: { api: 'core', apiVersion: 'v1', namespaced: true, etcd: 'secrets' },
  ServiceAccount: { api: 'core', apiVersion: 'v1', namespaced: true, etcd: 'serviceaccounts' },
  // The client's model for core/v1 Event is CoreV1Event (events.k8s.io has V1Event).
  Event: { api: 'core', apiVersion: 'v1', namespaced: true, etcd: 'events', model: 'CoreV1Event' },
  Deployment: { api: 'apps', apiVersion: 'apps/v1', namespaced: true, etcd: 'deployments' },
  ReplicaSet: { api: 'apps', apiVersion: 'apps/v1', namespaced: true, etcd: 'replicasets' },
  Lease: {
    api: 'coordination',
    apiVersion: 'coordination.k8s.io/v1',
    namespaced: true,
    etcd: 'leases',
  },
} as const;

export type Kind = keyof typeof KINDS;

/** One object by identity. */
export interface ObjectRef {
  readonly kind: Kind;
  /** Absent for cluster-scoped kinds (Namespace, Node). */
  readonly namespace?: string;
  readonly name: string;
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: { kind: string; name: string; uid: string; controller?: boolean }[];
  deletionTimestamp?: string | Date;
  creationTimestamp?: string | Date;
  [k: string]: unknown;
}

/** A Kubernetes object as JSON (dates may come back as Date objects from the client's models). */
export interface KObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  // biome-ignore lint/suspicious/noExplicitAny: objects of any kind; checks read the fields they know
  spec?: any;
  // biome-ignore lint/suspicious/noExplicitAny: as spec
  status?: any;
  data?: Record<string, string>;
  [k: string]: unknown;
}

/** 'Deployment drill-a/web' or 'Namespace drill-a': how evidence names objects. */
export function refString(r: ObjectRef): string {
  return r.namespace ? `${r.kind} ${r.namespace}/${r.name}` : `${r.kind} ${r.name}`;
}

export function refOf(kind: Kind, o: KObject): ObjectRef {
  return KINDS[kind].namespaced
    ? { kind, namespace: o.metadata.namespace ?? '', name: o.metadata.name }
    : { kind, name: o.metadata.name };
}

/** HTTP status of a failed API call, when the API answered (the client's ApiException or our wrapper). */
export function statusOf(err: unknown): number | undefined {
  if (err instanceof HarnessError) {
    const s = err.details?.status;
    return typeof s === 'number' ? s : undefined;
  }
  // gRPC errors from etcd carry a numeric code too (0-16, e.g. 14 UNAVAILABLE): no HTTP answer.
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' && code >= 100 ? code : undefined;
}
